import { randomBytes } from "node:crypto";
import { encodeS3Key } from "@sluice/core";
import type { S3Event, S3EventRecord } from "aws-lambda";

/** What an object-created notification says about the object. */
export interface CreatedObject {
  bucket: string;
  /** The decoded key; the notification carries it URL-encoded, as S3 does. */
  key: string;
  size: number;
  eTag: string;
  versionId?: string;
  sequencer: string;
}

/** Where the notification claims to come from. */
export interface NotificationOrigin {
  region: string;
  /** The bucket's notification configuration id. */
  configurationId: string;
  /** Principal of the writer and the bucket owner (S3 shows the account's canonical id). */
  principalId: string;
  sourceIp: string;
}

/** The origin local notifications claim. */
export const LOCAL_NOTIFICATION_ORIGIN: Readonly<NotificationOrigin> = {
  region: "us-east-1",
  configurationId: "sluice-raw-object-created",
  principalId: "LOCAL",
  sourceIp: "127.0.0.1",
};

/**
 * The S3 event notification AWS sends for a `PutObject` (event message structure version 2.1):
 * the key URL-encoded form-style, the eTag bare, the sequencer a hex string that orders events
 * of one key.
 */
export function objectCreatedNotification(
  object: CreatedObject,
  options: { time?: Date; eventName?: string; origin?: NotificationOrigin } = {},
): S3Event {
  const origin = options.origin ?? LOCAL_NOTIFICATION_ORIGIN;
  const s3Object: S3EventRecord["s3"]["object"] = {
    key: encodeS3Key(object.key),
    size: object.size,
    eTag: object.eTag,
    sequencer: object.sequencer,
  };
  if (object.versionId !== undefined) s3Object.versionId = object.versionId;
  const record: S3EventRecord = {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: origin.region,
    eventTime: (options.time ?? new Date()).toISOString(),
    eventName: `ObjectCreated:${options.eventName ?? "Put"}`,
    userIdentity: { principalId: origin.principalId },
    requestParameters: { sourceIPAddress: origin.sourceIp },
    responseElements: {
      "x-amz-request-id": randomBytes(8).toString("hex").toUpperCase(),
      "x-amz-id-2": randomBytes(48).toString("base64"),
    },
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: origin.configurationId,
      bucket: {
        name: object.bucket,
        ownerIdentity: { principalId: origin.principalId },
        arn: `arn:aws:s3:::${object.bucket}`,
      },
      object: s3Object,
    },
  };
  return { Records: [record] };
}
