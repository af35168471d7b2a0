import {
  type BatchMode,
  createSqsBatchHandler,
  parseEvent,
  type SqsBatchHandler,
  unwrapSqsBody,
} from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import type { LoaderDeps, LoadOutcome } from "./load-outcome";
import { loadStagedRun } from "./load-staged-run";

/**
 * The loader loads the records of an SQS batch one after another: each holds the instance's one
 * database connection (a pool of one, and PGlite is one connection) for its transaction (the
 * run's ledger row lock, COPY, merge) while it streams a staged file; in parallel they would only
 * queue for that connection or contend for the target table's locks.
 */
export const LOADER_BATCH_MODE: BatchMode = "sequential";

/**
 * Loads one SQS record: an `sluice.object.staged` event, SNS-wrapped or raw. Its run id and
 * dataset are appended to `deps.logger`, the record's own logger (the batch handler makes one per
 * record), so every line of the load, a failure's included, carries them. Throws what
 * {@link loadStagedRun} throws (and a `MalformedEventError` for a body that is not such an event).
 */
export async function loadRecord(record: SQSRecord, deps: LoaderDeps): Promise<LoadOutcome> {
  const event = parseEvent(unwrapSqsBody(record.body), "sluice.object.staged");
  deps.logger.appendKeys({ runId: event.data.runId, dataset: event.data.dataset });
  return loadStagedRun(event, deps);
}

/**
 * The loader's handler over injected ports: core's {@link createSqsBatchHandler} in
 * {@link LOADER_BATCH_MODE}. Every record that fails is reported in `batchItemFailures` so SQS
 * redelivers just those: retryable failures succeed later, dead-letter ones (malformed event,
 * schema mismatch) exhaust the queue's receive limit and land in its DLQ, where `sluice status`
 * shows them.
 */
export function createLoaderHandler(deps: LoaderDeps): SqsBatchHandler {
  return createSqsBatchHandler({
    mode: LOADER_BATCH_MODE,
    logger: deps.logger,
    handleRecord: (record, logger) => loadRecord(record, { ...deps, logger }),
  });
}
