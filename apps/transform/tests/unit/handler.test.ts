import { attributesOf, RetryableError, type SluiceEvent, stagingKeysOf } from "@sluice/core";
import {
  lines,
  RAW_BUCKET,
  receivedEvent,
  registry,
  STAGING_BUCKET,
  testDeps,
} from "@sluice/staging/testing";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { createTransformHandler } from "../../src";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:sluice-dev-events";
const QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:sluice-dev-transform";

/** The body SQS delivers for an SNS subscription without raw message delivery. */
function snsNotification(event: SluiceEvent): string {
  const attributes = Object.fromEntries(
    Object.entries(attributesOf(event)).map(([name, value]) => [name, { Type: "String", Value: value }]),
  );
  return JSON.stringify({
    Type: "Notification",
    MessageId: "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
    TopicArn: TOPIC_ARN,
    Message: JSON.stringify(event),
    Timestamp: "2026-11-27T10:00:00.000Z",
    SignatureVersion: "1",
    Signature: "EXAMPLEpH+..",
    SigningCertURL:
      "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
    UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:1`,
    MessageAttributes: attributes,
  });
}

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: "1",
      SentTimestamp: "1795773600000",
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: "1795773600001",
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "eu-west-1",
  };
}

const CSV = lines(
  "\n",
  "order_id,customer_id,status,amount,currency,ordered_at,note",
  "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,",
);

describe("createTransformHandler", () => {
  it("stages good messages and reports malformed, misrouted and failing ones as batch item failures", async () => {
    // prepare
    const deps = { ...testDeps(), registry };
    const orders = registry.get("orders");
    const good = receivedEvent(orders, "orders/good.csv");
    const raw = receivedEvent(orders, "orders/raw-delivery.csv", { eTag: "etag-raw" });
    const throttled = receivedEvent(orders, "orders/throttled.csv", { eTag: "etag-throttled" });
    const containerRouted = receivedEvent(orders, "orders/huge.csv", { route: "container" });
    deps.store.seed(RAW_BUCKET, "orders/good.csv", CSV);
    deps.store.seed(RAW_BUCKET, "orders/raw-delivery.csv", CSV);
    deps.store.seed(RAW_BUCKET, "orders/throttled.csv", CSV);
    deps.store.putFault = (_bucket, key) =>
      key.startsWith(`staged/orders/${throttled.data.runId}/`)
        ? new RetryableError("throttled", "SlowDown")
        : undefined;
    const event: SQSEvent = {
      Records: [
        sqsRecord("m-good", snsNotification(good)),
        sqsRecord("m-not-json", "{not json"),
        sqsRecord("m-wrong-type", snsNotification({ ...good, type: "sluice.object.loaded" } as SluiceEvent)),
        sqsRecord("m-raw", JSON.stringify(raw)),
        sqsRecord("m-throttled", snsNotification(throttled)),
        sqsRecord("m-container", snsNotification(containerRouted)),
      ],
    };

    // act
    const response = await createTransformHandler(deps)(event);

    // assert
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: "m-not-json" },
      { itemIdentifier: "m-wrong-type" },
      { itemIdentifier: "m-throttled" },
      { itemIdentifier: "m-container" },
    ]);
    const staged = deps.publisher.events.filter((e) => e.type === "sluice.object.staged");
    expect(staged.map((e) => e.subject)).toEqual(["orders/good.csv", "orders/raw-delivery.csv"]);
    expect(
      deps.store.bytes(STAGING_BUCKET, stagingKeysOf("orders", good.data.runId).manifestKey),
    ).toBeDefined();
  });

  it("returns no failures when every message is handled, including a quarantined object", async () => {
    // prepare
    const deps = { ...testDeps(), registry };
    const missingColumn = receivedEvent(registry.get("orders"), "orders/bad-header.csv");
    deps.store.seed(RAW_BUCKET, "orders/bad-header.csv", "order_id\n1\n");

    // act
    const response = await createTransformHandler(deps)({
      Records: [sqsRecord("m-1", snsNotification(missingColumn))],
    });

    // assert
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.publisher.events.map((e) => e.type)).toEqual(["sluice.object.quarantined"]);
  });

  it("reports every message of a batch that fails entirely instead of throwing", async () => {
    // act
    const response = await createTransformHandler({ ...testDeps(), registry })({
      Records: [sqsRecord("m-1", "[]"), sqsRecord("m-2", "")],
    });

    // assert
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }]);
  });

  it("stages the records of a batch one after another (TRANSFORM_BATCH_MODE) and fails only the one that failed", async () => {
    // prepare
    const deps = { ...testDeps(), registry };
    const orders = registry.get("orders");
    const keys = ["orders/a.csv", "orders/throttled.csv", "orders/b.csv"];
    const events = keys.map((key) => receivedEvent(orders, key, { eTag: `etag-${key}` }));
    for (const key of keys) deps.store.seed(RAW_BUCKET, key, CSV);
    const order: string[] = [];
    const get = deps.store.get.bind(deps.store);
    deps.store.get = (bucket, key, options) => {
      order.push(`start ${key}`);
      return get(bucket, key, options);
    };
    const publish = deps.publisher.publish.bind(deps.publisher);
    deps.publisher.publish = (event) => {
      order.push(`end ${event.subject}`);
      return publish(event);
    };
    deps.store.putFault = (_bucket, key) =>
      key.startsWith(`staged/orders/${events[1]!.data.runId}/`)
        ? new RetryableError("throttled", "SlowDown")
        : undefined;

    // act
    const response = await createTransformHandler(deps)({
      Records: events.map((event, i) => sqsRecord(`m-${i + 1}`, snsNotification(event))),
    });

    // assert
    expect(order).toEqual([
      "start orders/a.csv",
      "end orders/a.csv",
      "start orders/throttled.csv",
      "start orders/b.csv",
      "end orders/b.csv",
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
  });
});
