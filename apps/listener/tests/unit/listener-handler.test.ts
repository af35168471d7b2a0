import { PublishCommand, SNSClient, ThrottledException } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "@sluice/aws/sns";
import {
  createLogger,
  createMemoryLogger,
  type EventPublisher,
  encodeS3Key,
  MalformedEventError,
  parseEvent,
  RetryableError,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { createListenerHandler } from "../../src";
import { s3Notification, s3TestEventBody, sqsBatch } from "./aws-events";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:sluice-dev-events";
const silent = createLogger("listener", { level: "SILENT" });

function publishedEvents(sns: ReturnType<typeof mockClient>) {
  return sns.commandCalls(PublishCommand).map((call) => ({
    event: parseEvent(call.args[0].input.Message!),
    attributes: call.args[0].input.MessageAttributes,
  }));
}

describe("listener handler over SQS (S3 → SQS → listener)", () => {
  const sns = mockClient(SNSClient);
  const handler = createListenerHandler({
    registry: loadRegistry(),
    publisher: new SnsEventPublisher(new SNSClient({ region: "eu-west-1" }), { topicArn: TOPIC }),
    logger: silent,
  });

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: "m" });
  });

  it("publishes object.received with filterable attributes for an S3 notification body", async () => {
    const body = JSON.stringify(
      s3Notification({ key: encodeS3Key("orders/2026/11/Q4 report+final.csv"), size: 77 }),
    );

    const response = await handler(sqsBatch([body]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageAttributes: {
        type: { DataType: "String", StringValue: "sluice.object.received" },
        dataset: { DataType: "String", StringValue: "orders" },
        route: { DataType: "String", StringValue: "lambda" },
      },
    });
    // The key arrives form-encoded and is decoded exactly once.
    expect(publishedEvents(sns)[0]?.event.subject).toBe("orders/2026/11/Q4 report+final.csv");
  });

  it("reports only the malformed record as a batch item failure and still processes the others", async () => {
    const good = JSON.stringify(s3Notification({ key: "orders/a.csv", size: 5 }));
    const malformed = JSON.stringify({
      Records: [{ eventSource: "aws:s3", s3: { bucket: { name: "raw" } } }],
    });

    const response = await handler(sqsBatch([good, "this is not json", malformed]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "msg-2" }, { itemIdentifier: "msg-3" }]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });

  it("acknowledges s3:TestEvent without publishing", async () => {
    const response = await handler(sqsBatch([s3TestEventBody]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("publishes object.failed (never drops) for an unclaimed key, and acknowledges the message", async () => {
    const body = JSON.stringify(s3Notification({ key: "tmp/upload.bin", size: 9 }));

    const response = await handler(sqsBatch([body]));

    expect(response).toEqual({ batchItemFailures: [] });
    const [published] = publishedEvents(sns);
    expect(published?.event).toMatchObject({ type: "sluice.object.failed", data: { reason: "no-dataset" } });
    expect(published?.attributes).toEqual({
      type: { DataType: "String", StringValue: "sluice.object.failed" },
      dataset: { DataType: "String", StringValue: "unknown" },
    });
  });

  it("fails just the record whose publish SNS throttled, so SQS retries it", async () => {
    sns.on(PublishCommand).callsFake((input: { Message: string }) => {
      if (input.Message.includes("orders/throttled.csv")) {
        throw new ThrottledException({ message: "Rate exceeded", $metadata: { httpStatusCode: 400 } });
      }
      return { MessageId: "m" };
    });
    const bodies = ["orders/fine.csv", "orders/throttled.csv"].map((key) =>
      JSON.stringify(s3Notification({ key, size: 3 })),
    );

    const response = await handler(sqsBatch(bodies));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "msg-2" }]);
  });

  it("reports every record, rather than throwing, when the whole batch fails", async () => {
    const response = await handler(sqsBatch(["{", "[]"]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "msg-1" }, { itemIdentifier: "msg-2" }]);
  });

  it("receives an SNS-wrapped S3 notification body (subscription without raw delivery)", async () => {
    const wrapped = JSON.stringify({
      Type: "Notification",
      MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
      TopicArn: "arn:aws:sns:eu-west-1:123456789012:raw-notifications",
      Message: JSON.stringify(s3Notification({ key: "orders/wrapped.csv", size: 3 })),
    });

    await handler(sqsBatch([wrapped]));

    expect(publishedEvents(sns)[0]?.event.subject).toBe("orders/wrapped.csv");
  });
});

describe("listener handler invoked directly by S3", () => {
  const sns = mockClient(SNSClient);
  const handler = createListenerHandler({
    registry: loadRegistry(),
    publisher: new SnsEventPublisher(new SNSClient({ region: "eu-west-1" }), { topicArn: TOPIC }),
    logger: silent,
  });

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: "m" });
  });

  it("publishes one event per object of the S3 event", async () => {
    const event = s3Notification({ key: "crm/customers/export.ndjson", size: 100 });

    await handler(event);

    expect(publishedEvents(sns).map((p) => p.event.data)).toEqual([
      expect.objectContaining({ dataset: "customers", object: expect.objectContaining({ size: 100 }) }),
    ]);
  });

  it("throws a MalformedEventError for an event that is not an S3 notification", async () => {
    await expect(handler({ hello: "world" })).rejects.toBeInstanceOf(MalformedEventError);
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });
});

describe("listener handler's batch mode (LISTENER_BATCH_MODE: parallel)", () => {
  const body = (key: string) => JSON.stringify(s3Notification({ key, size: 3 }));

  /** A publisher that notes when each publish starts and ends, yielding in between; `fail` keys throw. */
  function recordingPublisher(order: string[]): EventPublisher {
    return {
      publish: async (event) => {
        order.push(`start ${event.subject}`);
        await new Promise((resolve) => setImmediate(resolve));
        if (event.subject.includes("fail")) throw new RetryableError("aws-retryable", "SNS throttled");
        order.push(`end ${event.subject}`);
      },
    };
  }

  it("receives every record of a batch at once and reports only the one that failed", async () => {
    const order: string[] = [];
    const handler = createListenerHandler({
      registry: loadRegistry(),
      publisher: recordingPublisher(order),
      logger: silent,
    });

    const response = await handler(
      sqsBatch([body("orders/a.csv"), body("orders/fail.csv"), body("orders/b.csv")]),
    );

    expect(order).toEqual([
      "start orders/a.csv",
      "start orders/fail.csv",
      "start orders/b.csv",
      "end orders/a.csv",
      "end orders/b.csv",
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "msg-2" }]);
  });

  it("logs a failed record once, naming its message, the object and the disposition", async () => {
    const logger = createMemoryLogger("listener");
    const handler = createListenerHandler({
      registry: loadRegistry(),
      publisher: recordingPublisher([]),
      logger,
    });

    await handler(sqsBatch([body("orders/a.csv"), body("orders/fail.csv"), "this is not json"]));

    expect(logger.lines.filter((line) => line.level === "ERROR")).toEqual([
      expect.objectContaining({ messageId: "msg-3", disposition: "dead-letter", body: "this is not json" }),
      expect.objectContaining({ messageId: "msg-2", disposition: "retry", key: "orders/fail.csv" }),
    ]);
  });
});
