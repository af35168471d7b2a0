import { MalformedEventError } from "../errors";
import type { ObjectRef } from "./object-ref";
import { isS3EventBridgeEvent, parseS3EventBridgeEvent } from "./s3-eventbridge";

/** One object-level record of an S3 event notification, with its key decoded. */
export interface S3ObjectEvent {
  /** e.g. `ObjectCreated:Put`, `ObjectCreated:CompleteMultipartUpload`. */
  eventName: string;
  eventTime: string;
  object: ObjectRef;
}

/**
 * Decodes an S3 event notification key: S3 URL-encodes keys form-style, so `+` is a space and
 * `%XX` are UTF-8 bytes (`%2B` is a plus). Decode exactly once, here and nowhere else.
 */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, " "));
  } catch (cause) {
    throw new MalformedEventError(
      `S3 object key ${JSON.stringify(encoded)} is not valid URL encoding`,
      {
        field: "s3.object.key",
        key: encoded,
      },
      { cause },
    );
  }
}

/** Encodes a key the way S3 event notifications do (the inverse of {@link decodeS3Key}). */
export function encodeS3Key(key: string): string {
  return encodeURIComponent(key)
    .replace(/%20/g, "+")
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, "/");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new MalformedEventError(`${what} is not valid JSON`, {}, { cause });
  }
}

/** True for the `s3:TestEvent` message S3 sends when a notification configuration is saved. */
export function isS3TestEvent(value: unknown): boolean {
  return isRecord(value) && value.Event === "s3:TestEvent";
}

function parseS3Record(record: Record<string, unknown>, index: number): S3ObjectEvent {
  const where = `Records[${index}]`;
  const s3 = record.s3;
  if (!isRecord(s3)) throw new MalformedEventError(`${where}.s3 is missing`, { field: `${where}.s3` });
  const bucket = isRecord(s3.bucket) ? s3.bucket.name : undefined;
  if (typeof bucket !== "string" || bucket === "") {
    throw new MalformedEventError(`${where}.s3.bucket.name is missing`, { field: `${where}.s3.bucket.name` });
  }
  const object = s3.object;
  if (!isRecord(object) || typeof object.key !== "string" || object.key === "") {
    throw new MalformedEventError(`${where}.s3.object.key is missing`, { field: `${where}.s3.object.key` });
  }
  const size = object.size ?? 0;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 0) {
    throw new MalformedEventError(`${where}.s3.object.size must be a non-negative integer`, {
      field: `${where}.s3.object.size`,
    });
  }
  const ref: ObjectRef = { bucket, key: decodeS3Key(object.key), size };
  if (typeof object.eTag === "string" && object.eTag !== "") ref.eTag = object.eTag.replace(/"/g, "");
  if (typeof object.versionId === "string" && object.versionId !== "") ref.versionId = object.versionId;
  if (typeof object.sequencer === "string" && object.sequencer !== "") ref.sequencer = object.sequencer;
  const eventName = typeof record.eventName === "string" ? record.eventName : "";
  if (eventName === "")
    throw new MalformedEventError(`${where}.eventName is missing`, { field: `${where}.eventName` });
  return { eventName, eventTime: typeof record.eventTime === "string" ? record.eventTime : "", object: ref };
}

/**
 * Parses one message that carries an S3 event: an S3 event notification (object or JSON text),
 * an S3 event delivered by EventBridge (`source: aws.s3`, e.g. `detail-type: Object Created`; an
 * EventBridge rule's SQS target puts the event itself in the body), or an SNS notification
 * wrapping either (SQS-of-SNS without raw delivery). `s3:TestEvent` yields no records. Malformed
 * input throws a {@link MalformedEventError}.
 */
export function parseS3EventMessage(message: unknown): S3ObjectEvent[] {
  const value = typeof message === "string" ? parseJson(message, "S3 event message") : message;
  if (!isRecord(value)) throw new MalformedEventError("S3 event message is not a JSON object");
  if (isS3TestEvent(value)) return [];
  if (isS3EventBridgeEvent(value)) return [parseS3EventBridgeEvent(value)];
  if (value.Type === "Notification" && typeof value.Message === "string") {
    return parseS3EventMessage(value.Message);
  }
  if (!Array.isArray(value.Records)) {
    throw new MalformedEventError(
      "S3 event message has no Records array and is not an S3 event from EventBridge (source aws.s3)",
      { field: "Records" },
    );
  }
  return value.Records.map((record, index) => {
    if (!isRecord(record)) throw new MalformedEventError(`Records[${index}] is not an object`);
    if (record.eventSource !== "aws:s3") {
      throw new MalformedEventError(
        `Records[${index}].eventSource is ${String(record.eventSource)}, not aws:s3`,
        {
          field: `Records[${index}].eventSource`,
        },
      );
    }
    return parseS3Record(record, index);
  });
}

/**
 * Parses whatever a function receives when S3 notifies it, however delivered: direct
 * (S3 → Lambda), through SNS (SNS → Lambda), through SQS (raw S3 body, or SNS-wrapped with or
 * without raw message delivery). Multi-record events yield one entry per object.
 */
export function parseS3Notification(event: unknown): S3ObjectEvent[] {
  const value = typeof event === "string" ? parseJson(event, "event") : event;
  if (!isRecord(value)) throw new MalformedEventError("event is not a JSON object");
  if (isS3TestEvent(value)) return [];
  if (!Array.isArray(value.Records)) return parseS3EventMessage(value);
  return value.Records.flatMap((record, index) => {
    if (!isRecord(record)) throw new MalformedEventError(`Records[${index}] is not an object`);
    if (record.eventSource === "aws:sqs") {
      if (typeof record.body !== "string") {
        throw new MalformedEventError(`Records[${index}].body is missing`, {
          field: `Records[${index}].body`,
        });
      }
      return parseS3EventMessage(record.body);
    }
    if (record.EventSource === "aws:sns") {
      const sns = record.Sns;
      if (!isRecord(sns) || typeof sns.Message !== "string") {
        throw new MalformedEventError(`Records[${index}].Sns.Message is missing`, {
          field: `Records[${index}].Sns.Message`,
        });
      }
      return parseS3EventMessage(sns.Message);
    }
    if (record.eventSource === "aws:s3") return [parseS3Record(record, index)];
    throw new MalformedEventError(`Records[${index}] is not an S3, SNS or SQS record`, {
      field: `Records[${index}]`,
    });
  });
}

/**
 * The message inside an SQS record body: unwraps an SNS notification envelope
 * (`Type: "Notification"`) when the subscription does not use raw message delivery.
 */
export function unwrapSqsBody(body: string): unknown {
  const value = parseJson(body, "SQS message body");
  if (isRecord(value) && value.Type === "Notification" && typeof value.Message === "string") {
    return parseJson(value.Message, "SNS Message");
  }
  return value;
}
