import { MalformedEventError } from "../errors";
import type { ObjectRef } from "./object-ref";
import type { S3ObjectEvent } from "./s3-event";

/**
 * S3 delivers to EventBridge when the bucket's notification configuration has EventBridge on; a
 * rule can then target an SQS queue, whose message body is the EventBridge event itself
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html):
 *
 * ```json
 * { "version": "0", "id": "…", "detail-type": "Object Created", "source": "aws.s3",
 *   "account": "111122223333", "time": "2021-11-12T00:00:00Z", "region": "ca-central-1",
 *   "resources": ["arn:aws:s3:::amzn-s3-demo-bucket1"],
 *   "detail": { "version": "0", "bucket": { "name": "amzn-s3-demo-bucket1" },
 *     "object": { "key": "example-key", "size": 5, "etag": "b1946ac92492d2347c6235b4d2611184",
 *                 "version-id": "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e", "sequencer": "00617F08299329D189" },
 *     "request-id": "N4N7GDK58NMKJ12R", "requester": "123456789012",
 *     "source-ip-address": "1.2.3.4", "reason": "PutObject" } }
 * ```
 */
export const S3_EVENTBRIDGE_SOURCE = "aws.s3";

/** The `detail-type` of a new object (the only one that starts a run). */
export const S3_OBJECT_CREATED_DETAIL_TYPE = "Object Created";

/** `detail.reason` of an Object Created event → the S3 notification's event name suffix. */
const CREATED_REASONS: Readonly<Record<string, string>> = {
  PutObject: "Put",
  "POST Object": "Post",
  CopyObject: "Copy",
  CompleteMultipartUpload: "CompleteMultipartUpload",
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for an S3 event as EventBridge delivers it (`source: aws.s3` with a `detail-type`). */
export function isS3EventBridgeEvent(value: unknown): boolean {
  return (
    isRecord(value) && value.source === S3_EVENTBRIDGE_SOURCE && typeof value["detail-type"] === "string"
  );
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * The object of an S3 event delivered by EventBridge, in the same shape as a notification
 * record's. `Object Created` is named `ObjectCreated:<Put|Post|Copy|CompleteMultipartUpload>` from
 * `detail.reason`; any other detail type keeps its own name (`EventBridge:Object Deleted`), which
 * consumers of new objects ignore. The key is used as it is: EventBridge events carry the key
 * itself, not the form-URL-encoded key of S3 notifications (a key with `:` arrives with `:`, where
 * a notification has `%3A`), so decoding it would corrupt keys holding `+` or `%`.
 * A missing bucket name or key, or a size that is not a non-negative integer, throws a
 * {@link MalformedEventError} naming the field.
 */
export function parseS3EventBridgeEvent(event: Record<string, unknown>): S3ObjectEvent {
  const detailType = String(event["detail-type"]);
  const detail = isRecord(event.detail) ? event.detail : undefined;
  const bucket = text(isRecord(detail?.bucket) ? detail.bucket.name : undefined);
  if (!bucket)
    throw new MalformedEventError("detail.bucket.name is missing", { field: "detail.bucket.name" });
  const object = isRecord(detail?.object) ? detail.object : {};
  const key = text(object.key);
  if (!key) throw new MalformedEventError("detail.object.key is missing", { field: "detail.object.key" });
  const size = object.size ?? 0;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
    throw new MalformedEventError("detail.object.size must be a non-negative integer", {
      field: "detail.object.size",
    });
  }
  const ref: ObjectRef = { bucket, key, size };
  const eTag = text(object.etag);
  if (eTag) ref.eTag = eTag.replace(/"/g, "");
  const versionId = text(object["version-id"]);
  if (versionId) ref.versionId = versionId;
  const sequencer = text(object.sequencer);
  if (sequencer) ref.sequencer = sequencer;
  const reason = text(detail?.reason) ?? "PutObject";
  const eventName =
    detailType === S3_OBJECT_CREATED_DETAIL_TYPE
      ? `ObjectCreated:${CREATED_REASONS[reason] ?? reason}`
      : `EventBridge:${detailType}`;
  return { eventName, eventTime: text(event.time) ?? "", object: ref };
}
