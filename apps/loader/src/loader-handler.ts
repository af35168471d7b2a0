import { dispositionOf, parseEvent, SluiceError, unwrapSqsBody } from "@sluice/core";
import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type LoaderDeps, type LoadOutcome, loadStagedRun } from "./load-staged-run";

/** The loader's Lambda handler: an SQS batch in, the records to redeliver out. */
export type LoaderHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * Loads one SQS record: an `sluice.object.staged` event, SNS-wrapped or raw. Throws what
 * {@link loadStagedRun} throws (and a `MalformedEventError` for a body that is not such an event).
 */
export async function loadRecord(record: SQSRecord, deps: LoaderDeps): Promise<LoadOutcome> {
  const event = parseEvent(unwrapSqsBody(record.body), "sluice.object.staged");
  return loadStagedRun(event, deps);
}

/**
 * The loader's handler over injected ports. Records of a batch are loaded one after another
 * (each holds a database connection and streams a file; in parallel they would only contend),
 * and every record that fails is reported in `batchItemFailures` so SQS redelivers just those:
 * retryable failures succeed later, dead-letter ones (malformed event, schema mismatch) exhaust
 * the queue's receive limit and land in its DLQ, where `sluice status` shows them.
 */
export function createLoaderHandler(deps: LoaderDeps): LoaderHandler {
  return async (event) => {
    const batchItemFailures: SQSBatchItemFailure[] = [];
    for (const record of event.Records) {
      try {
        await loadRecord(record, deps);
      } catch (error) {
        batchItemFailures.push({ itemIdentifier: record.messageId });
        deps.logger.error("load failed", {
          messageId: record.messageId,
          receiveCount: record.attributes?.ApproximateReceiveCount,
          disposition: dispositionOf(error),
          code: error instanceof SluiceError ? error.code : undefined,
          context: error instanceof SluiceError ? error.context : undefined,
          error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
        });
      }
    }
    return { batchItemFailures };
  };
}
