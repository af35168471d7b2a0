import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { dispositionOf, SluiceError } from "../errors";
import type { Logger } from "../logger";

/**
 * How a handler works through the records of one SQS batch: one after another, or all at once.
 * Each phase names its choice in a constant beside its handler and says why; docs/architecture.md
 * ("Delivery") lists them.
 */
export type BatchMode = "sequential" | "parallel";

/**
 * Handles one SQS record. `logger` is a child of the phase's logger that carries the record's
 * `messageId`; keys appended to it (`runId`, `dataset`) stay on this record's lines only, even
 * in parallel. Throwing fails just this record.
 */
export type SqsRecordHandler = (record: SQSRecord, logger: Logger) => Promise<unknown>;

/** A Lambda handler for an SQS event source: a batch in, the records SQS must redeliver out. */
export type SqsBatchHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/** What {@link createSqsBatchHandler} builds a handler from. */
export interface SqsBatchHandlerOptions {
  /** Sequential or parallel: the phase's documented choice. */
  mode: BatchMode;
  /** The phase's logger; each record gets a child of it. */
  logger: Logger;
  /** What to do with one record. */
  handleRecord: SqsRecordHandler;
}

/** Characters of a message body quoted in the log line of a message that goes to the DLQ. */
export const DEAD_LETTER_BODY_LOG_CHARS = 500;

/**
 * The one way Sluice handlers process an SQS batch: Powertools `BatchProcessor` over the
 * records, in the given {@link BatchMode}, reporting each record that throws in
 * `batchItemFailures` so SQS redelivers only those. A failure is logged once, here, with its
 * disposition: `retry` (SQS redelivers it), `dead-letter` (it fails every receive until the
 * queue's `maxReceiveCount` moves it to the DLQ; its body is quoted so the log shows what it was).
 * A batch whose records all fail is reported record by record rather than thrown, so the
 * response always says which messages to redeliver.
 */
export function createSqsBatchHandler(options: SqsBatchHandlerOptions): SqsBatchHandler {
  const { mode, logger, handleRecord } = options;
  const handle = async (record: SQSRecord): Promise<unknown> => {
    const recordLogger = logger.createChild({ persistentKeys: { messageId: record.messageId } });
    try {
      return await handleRecord(record, recordLogger);
    } catch (error) {
      recordLogger.error("message failed", failureFields(record, error));
      throw error;
    }
  };
  return (event, context) =>
    // A processor holds one batch's state: one per invocation, so concurrent invocations (the
    // local runtime makes them) cannot mix their records.
    processPartialResponse(event, handle, new BatchProcessor(EventType.SQS), {
      ...(context ? { context } : {}),
      processInParallel: mode === "parallel",
      throwOnFullBatchFailure: false,
    });
}

function failureFields(record: SQSRecord, error: unknown): Record<string, unknown> {
  const disposition = dispositionOf(error);
  return {
    disposition,
    receiveCount: record.attributes?.ApproximateReceiveCount,
    ...(error instanceof SluiceError ? { code: error.code, context: error.context } : {}),
    ...(disposition === "dead-letter" ? { body: record.body.slice(0, DEAD_LETTER_BODY_LOG_CHARS) } : {}),
    error: error instanceof Error ? error : String(error),
  };
}
