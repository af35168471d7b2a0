import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "@sluice/aws/sns";
import { createLogger, encodeS3Key, parseEvent } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { createListenerHandler } from "../../src";
import { s3EventBridgeObjectCreated, s3Notification, sqsBatch } from "./aws-events";

const TOPIC = "arn:aws:sns:eu-west-1:123456789012:sluice-dev-events";

describe("listener handler over SQS fed by EventBridge (S3 → EventBridge rule → SQS → listener)", () => {
  const sns = mockClient(SNSClient);
  const handler = createListenerHandler({
    registry: loadRegistry(),
    publisher: new SnsEventPublisher(new SNSClient({ region: "eu-west-1" }), { topicArn: TOPIC }),
    logger: createLogger("listener", { level: "SILENT" }),
  });
  const published = () =>
    sns.commandCalls(PublishCommand).map((call) => parseEvent(call.args[0].input.Message!));

  beforeEach(() => {
    sns.reset();
    sns.on(PublishCommand).resolves({ MessageId: "m" });
  });

  it("receives an Object Created event (no longer dead-lettered as malformed)", async () => {
    const key = "orders/2026/11/Q4 report+final.csv";
    const body = JSON.stringify(s3EventBridgeObjectCreated({ key, size: 77, "version-id": "v1" }));

    const response = await handler(sqsBatch([body]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(published()).toMatchObject([
      {
        type: "sluice.object.received",
        subject: key,
        data: {
          dataset: "orders",
          route: "lambda",
          object: {
            bucket: "sluice-dev-raw",
            key,
            size: 77,
            versionId: "v1",
            sequencer: "00617F08299329D189",
          },
        },
      },
    ]);
  });

  it("gives an object the same run id whichever way S3 announced it", async () => {
    const key = "orders/same object.csv";
    const viaEventBridge = JSON.stringify(s3EventBridgeObjectCreated({ key, size: 5, "version-id": "v7" }));
    const viaNotification = JSON.stringify(
      s3Notification({ key: encodeS3Key(key), size: 5, versionId: "v7" }),
    );

    await handler(sqsBatch([viaEventBridge, viaNotification]));

    const [first, second] = published();
    expect(first!.data.runId).toBe(second!.data.runId);
    expect(first!.subject).toBe(second!.subject);
  });

  it("acknowledges other S3 detail types without publishing", async () => {
    const body = JSON.stringify(
      s3EventBridgeObjectCreated({ key: "orders/gone.csv", size: 0 }, { detailType: "Object Deleted" }),
    );

    const response = await handler(sqsBatch([body]));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(sns).not.toHaveReceivedCommand(PublishCommand);
  });

  it("dead-letters an Object Created event without a key, alone in its batch", async () => {
    const broken = s3EventBridgeObjectCreated({ key: "", size: 1 });
    const good = s3EventBridgeObjectCreated({ key: "orders/fine.csv", size: 1 });

    const response = await handler(sqsBatch([JSON.stringify(broken), JSON.stringify(good)]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "msg-1" }]);
    expect(sns).toHaveReceivedCommandTimes(PublishCommand, 1);
  });
});
