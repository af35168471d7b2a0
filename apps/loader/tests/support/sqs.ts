import { randomUUID } from "node:crypto";
import { attributesOf, type SluiceEvent } from "@sluice/core";
import type { SQSEvent, SQSRecord } from "aws-lambda";

const TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:sluice-dev-events";
const QUEUE_ARN = "arn:aws:sqs:eu-west-1:123456789012:sluice-dev-loader";

/** The body SQS delivers for an SNS notification without raw message delivery. */
export function snsNotificationBody(message: string, attributes: Record<string, string> = {}): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: randomUUID(),
    TopicArn: TOPIC_ARN,
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: "1",
    Signature:
      "EXAMPLEpH+DcEwjAPg8O9mY8dReBSwksfg2S7WKQcikcNKWLQjwu6A4VbeS0QHVCkhRS7fUQvi2egU3N858fiTDN6bkkOxYDVrY0Ad8L10Hs3zH81mtnPk5uvvolIC1CXGu43obcgFxeL3khZl8IKvO61GWB6jI9b5+gLPoBc1Q=",
    SigningCertURL:
      "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem",
    UnsubscribeURL: `https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${TOPIC_ARN}:${randomUUID()}`,
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([name, value]) => [name, { Type: "String", Value: value }]),
    ),
  });
}

/** An SQS record as Lambda's event source mapping delivers it. */
export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  const now = Date.now();
  return {
    messageId: randomUUID(),
    receiptHandle: `AQEB${Buffer.from(randomUUID()).toString("base64")}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(now - 1000),
      SenderId: "AIDAIENQZJOLO23YVJ4VO",
      ApproximateFirstReceiveTimestamp: String(now),
    },
    messageAttributes: {},
    md5OfBody: "e4e68fb7bd0e697a0ae8f1bb342846b3",
    eventSource: "aws:sqs",
    eventSourceARN: QUEUE_ARN,
    awsRegion: "eu-west-1",
  };
}

/** An SQS record carrying `event` the way SNS → SQS delivers it. */
export function sqsRecordOf(event: SluiceEvent): SQSRecord {
  const attributes = Object.fromEntries(
    Object.entries(attributesOf(event)).map(([name, value]) => [name, String(value)]),
  );
  return sqsRecord(snsNotificationBody(JSON.stringify(event), attributes));
}

/** An SQS event of `records`. */
export function sqsEvent(records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
