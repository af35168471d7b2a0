import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import {
  createLogger,
  dispositionOf,
  MalformedEventError,
  parseS3EventMessage,
  parseS3Notification,
} from "@sluice/core";
import type { Context, SQSBatchResponse, SQSRecord } from "aws-lambda";
import { type ListenerDeps, type ReceiveOutcome, receiveObject } from "./receive-object";

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
 * throws a {@link MalformedEventError}: retrying cannot fix it, so it fails the record and
 * SQS moves the message to the dead-letter queue after `maxReceiveCount` receives.
 */
export async function receiveSqsRecord(record: SQSRecord, deps: ListenerDeps): Promise<ReceiveOutcome[]> {
  let notifications: ReturnType<typeof parseS3EventMessage>;
  try {
    notifications = parseS3EventMessage(record.body);
  } catch (error) {
    deps.logger?.error("malformed S3 notification: the message will go to the dead-letter queue", {
      messageId: record.messageId,
      error: error instanceof Error ? error.message : String(error),
      field: error instanceof MalformedEventError ? error.context.field : undefined,
      body: record.body.slice(0, 500),
    });
    throw error;
  }
  if (notifications.length === 0) deps.logger?.info("ignored: s3:TestEvent", { messageId: record.messageId });
  const outcomes: ReceiveOutcome[] = [];
  for (const notification of notifications) {
    try {
      outcomes.push(await receiveObject(notification, deps));
    } catch (error) {
      deps.logger?.error("could not receive object: the message will be retried", {
        messageId: record.messageId,
        key: notification.object.key,
        disposition: dispositionOf(error),
        error: error instanceof Error ? error.message : String(error),
      });
      throw error;
    }
  }
  return outcomes;
}

/**
 * Builds the listener's Lambda handler over the given ports.
 *
 * - SQS events report partial batch failures (`batchItemFailures`), so one bad message is
 *   retried or dead-lettered alone. Records are processed in parallel.
 * - An S3 event invoked directly (or through SNS) is processed object by object; the first
 *   failure is thrown after every object was tried, so Lambda's asynchronous retry and
 *   on-failure destination take over.
 */
export function createListenerHandler(deps: ListenerDeps): ListenerHandler {
  const withLogger: ListenerDeps = { ...deps, logger: deps.logger ?? createLogger("listener") };
  return async (event, context) => {
    if (isSqsEvent(event)) {
      // A processor holds one batch's state: one per invocation, so concurrent calls (the
      // local runtime makes them) cannot mix their records.
      const processor = new BatchProcessor(EventType.SQS);
      return processPartialResponse(
        event,
        (record: SQSRecord) => receiveSqsRecord(record, withLogger),
        processor,
        {
          ...(context ? { context } : {}),
          // Report every failed record, even when all fail, rather than failing the invocation.
          throwOnFullBatchFailure: false,
        },
      );
    }
    await receiveDirect(event, withLogger);
    return { batchItemFailures: [] };
  };
}

async function receiveDirect(event: unknown, deps: ListenerDeps): Promise<void> {
  let notifications: ReturnType<typeof parseS3Notification>;
  try {
    notifications = parseS3Notification(event);
  } catch (error) {
    deps.logger?.error("malformed S3 event", {
      error: error instanceof Error ? error.message : String(error),
    });
    throw error;
  }
  let firstError: unknown;
  for (const notification of notifications) {
    try {
      await receiveObject(notification, deps);
    } catch (error) {
      deps.logger?.error("could not receive object", {
        key: notification.object.key,
        error: error instanceof Error ? error.message : String(error),
      });
      firstError ??= error;
    }
  }
  if (firstError !== undefined) throw firstError;
}
