import {
  AuthorizationErrorException,
  InternalErrorException,
  PublishCommand,
  SNSClient,
  ThrottledException,
} from "@aws-sdk/client-sns";
import { createEvent, MessageTooLargeError, parseEvent, RetryableError } from "@sluice/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { messageAttributesOf, SnsEventPublisher } from "../../src";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:sluice-dev-events";
const object = { bucket: "raw", key: "orders/2026/11/orders 1.csv", size: 42, eTag: "abc" };

const received = createEvent("sluice.object.received", "sluice/listener", {
  runId: "r-0123456789abcdef0123456789abcdef",
  object,
  dataset: "orders",
  contractVersion: 1,
  route: "lambda",
});

const failed = createEvent("sluice.object.failed", "sluice/listener", {
  runId: "r-0123456789abcdef0123456789abcdef",
  object,
  phase: "listener",
  reason: "no-dataset",
  message: "no contract claims the key",
  retryable: false,
});

describe("SnsEventPublisher", () => {
  const sns = mockClient(SNSClient);
  const publisher = new SnsEventPublisher(new SNSClient({ region: "eu-west-1" }), { topicArn: TOPIC });

  beforeEach(() => sns.reset());

  it("publishes the event JSON with type, dataset and route attributes to the topic", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-1" });

    await publisher.publish(received);

    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
    expect(sns).toHaveReceivedCommandWith(PublishCommand, {
      TopicArn: TOPIC,
      MessageAttributes: {
        type: { DataType: "String", StringValue: "sluice.object.received" },
        dataset: { DataType: "String", StringValue: "orders" },
        route: { DataType: "String", StringValue: "lambda" },
      },
    });
    const message = sns.commandCalls(PublishCommand)[0]!.args[0].input.Message!;
    expect(parseEvent(message)).toEqual(received);
  });

  it("omits the route attribute of an event that has none", async () => {
    sns.on(PublishCommand).resolves({ MessageId: "m-2" });

    await publisher.publish(failed);

    const attributes = sns.commandCalls(PublishCommand)[0]!.args[0].input.MessageAttributes;
    expect(attributes).toEqual({
      type: { DataType: "String", StringValue: "sluice.object.failed" },
      dataset: { DataType: "String", StringValue: "unknown" },
    });
    expect(messageAttributesOf(failed)).toEqual(attributes);
  });

  it("rejects with a RetryableError, keeping the cause, when SNS throttles", async () => {
    const throttled = new ThrottledException({
      message: "Rate exceeded",
      $metadata: { httpStatusCode: 400 },
    });
    sns.on(PublishCommand).rejects(throttled);

    const error = await publisher.publish(received).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).disposition).toBe("retry");
    expect((error as RetryableError).cause).toBe(throttled);
    expect((error as RetryableError).context).toMatchObject({ topicArn: TOPIC, eventType: received.type });
  });

  it("rejects with a RetryableError when SNS has an internal error", async () => {
    sns
      .on(PublishCommand)
      .rejects(new InternalErrorException({ message: "oops", $metadata: { httpStatusCode: 500 } }));

    await expect(publisher.publish(received)).rejects.toBeInstanceOf(RetryableError);
  });

  it("rethrows a permission error unchanged, since retrying cannot fix it", async () => {
    const denied = new AuthorizationErrorException({
      message: "not authorized to publish",
      $metadata: { httpStatusCode: 403 },
    });
    sns.on(PublishCommand).rejects(denied);

    const error = await publisher.publish(received).catch((e: unknown) => e);

    expect(error).toBe(denied);
  });

  it("refuses an event over SNS's 256 KiB before calling SNS, with a dead-letter error", async () => {
    // Built by hand: createEvent would have cut the message to size.
    const huge = { ...failed, data: { ...failed.data, message: "x".repeat(300 * 1024) } };

    await expect(publisher.publish(huge)).rejects.toBeInstanceOf(MessageTooLargeError);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 0);
  });
});
