import {
  type BatchMode,
  createSqsBatchHandler,
  parseS3EventMessage,
  parseS3Notification,
} from "@sluice/core";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { type ListenerDeps, type ReceiveOutcome, receiveObject } from "./receive-object";

/**
 * The listener receives the records of an SQS batch in parallel: each is a small job (parse a
 * notification, publish an event) bound by the SNS round trip, not by memory or CPU, and no record
 * depends on another's outcome or order (the same object twice publishes the same run twice, as
 * any redelivery would).
 */
export const LISTENER_BATCH_MODE: BatchMode = "parallel";

/** The listener Lambda: takes an SQS batch of S3 notifications, or an S3 event invoked directly. */
export type ListenerHandler = (event: unknown, context?: Context) => Promise<SQSBatchResponse>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for an SQS event: the delivery the infrastructure uses (S3 → SQS → listener). */
function isSqsEvent(event: unknown): event is { Records: SQSRecord[] } {
  return (
    isRecord(event) &&
    Array.isArray(event.Records) &&
    event.Records.length > 0 &&
    event.Records.every((record) => isRecord(record) && record.eventSource === "aws:sqs")
  );
}

/**
 * Every object notification in one SQS message, each received in turn. The body is the S3
 * notification (or an SNS envelope of it); `s3:TestEvent` holds none. A malformed body
 * throws a `MalformedEventError`: retrying cannot fix it, so it fails the record and
 * SQS moves the message to the dead-letter queue after `maxReceiveCount` receives. `deps.logger`
 * is the record's own (the batch handler makes one per record): the key being received is
 * appended to it, so a failure's log line names the object.
 */
export async function receiveSqsRecord(record: SQSRecord, deps: ListenerDeps): Promise<ReceiveOutcome[]> {
  const notifications = parseS3EventMessage(record.body);
  if (notifications.length === 0) deps.logger.info("ignored: s3:TestEvent");
  const outcomes: ReceiveOutcome[] = [];
  for (const notification of notifications) {
    deps.logger.appendKeys({ key: notification.object.key });
    outcomes.push(await receiveObject(notification, deps));
  }
  return outcomes;
}

/**
 * Builds the listener's Lambda handler over the given ports.
 *
 * - SQS events go through core's {@link createSqsBatchHandler} in {@link LISTENER_BATCH_MODE}:
 *   each failed record is a batch item failure, so one bad message is retried or dead-lettered alone.
 * - An S3 event invoked directly (or through SNS) is processed object by object; the first
 *   failure is thrown after every object was tried, so Lambda's asynchronous retry and
 *   on-failure destination take over.
 */
export function createListenerHandler(deps: ListenerDeps): ListenerHandler {
  const handleBatch = createSqsBatchHandler({
    mode: LISTENER_BATCH_MODE,
    logger: deps.logger,
    handleRecord: (record, logger) => receiveSqsRecord(record, { ...deps, logger }),
  });
  return async (event, context) => {
    if (isSqsEvent(event)) return handleBatch(event, context);
    await receiveDirect(event, deps);
    return { batchItemFailures: [] };
  };
}

async function receiveDirect(event: unknown, deps: ListenerDeps): Promise<void> {
  let notifications: ReturnType<typeof parseS3Notification>;
  try {
    notifications = parseS3Notification(event);
  } catch (error) {
    deps.logger.error("malformed S3 event", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  let firstError: unknown;
  for (const notification of notifications) {
    try {
      await receiveObject(notification, deps);
    } catch (error) {
      deps.logger.error("could not receive object", {
        key: notification.object.key,
        error: error instanceof Error ? error.message : String(error),
      });
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}
