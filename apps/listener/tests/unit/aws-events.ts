import type { S3Event, SQSEvent, SQSRecord } from "aws-lambda";
import eventBridgeObjectCreated from "../fixtures/s3-eventbridge-object-created.json";
import s3PutEvent from "../fixtures/s3-put-event.json";
import s3TestEvent from "../fixtures/s3-test-event.json";
import sqsEvent from "../fixtures/sqs-event.json";

/** The documented S3 `ObjectCreated:Put` notification, with its object replaced. */
export function s3Notification(
  object: { key: string; size: number; eTag?: string; versionId?: string },
  options: { bucket?: string; eventName?: string } = {},
): S3Event {
  const event = structuredClone(s3PutEvent) as unknown as S3Event;
  const record = event.Records[0]!;
  record.eventName = (options.eventName ?? "ObjectCreated:Put") as typeof record.eventName;
  record.s3.bucket.name = options.bucket ?? "sluice-dev-raw";
  record.s3.object = { ...record.s3.object, eTag: "9b2cf535f27731c974343645a3985328", ...object };
  return event;
}

/** The JSON S3 sends once when a notification configuration is saved. */
export const s3TestEventBody = JSON.stringify(s3TestEvent);

/** The documented SQS event, one record per body, message ids `msg-1`, `msg-2`, … */
export function sqsBatch(bodies: string[]): SQSEvent {
  const template = (sqsEvent as unknown as SQSEvent).Records[0]!;
  return {
    Records: bodies.map(
      (body, i): SQSRecord => ({ ...structuredClone(template), messageId: `msg-${i + 1}`, body }),
    ),
  };
}

/**
 * The documented S3 "Object Created" event as EventBridge delivers it (an SQS target's body), with
 * its object replaced. The key is not encoded: EventBridge carries it as it is.
 */
export function s3EventBridgeObjectCreated(
  object: { key: string; size: number; etag?: string; "version-id"?: string },
  options: { bucket?: string; detailType?: string } = {},
): Record<string, unknown> {
  const event = structuredClone(eventBridgeObjectCreated);
  event["detail-type"] = options.detailType ?? "Object Created";
  event.detail.bucket.name = options.bucket ?? "sluice-dev-raw";
  event.detail.object = { ...event.detail.object, etag: "9b2cf535f27731c974343645a3985328", ...object };
  return event;
}
