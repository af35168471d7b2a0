import {
  type BatchMode,
  createEvent,
  createSqsBatchHandler,
  dispositionOf,
  parseEvent,
  SluiceError,
  type SluiceEvent,
  type SqsBatchHandler,
  unwrapSqsBody,
} from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import { LOADER_SOURCE, type LoaderDeps, type LoadOutcome } from "./load-outcome";
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
 *
 * A failure that retrying cannot fix (a dead-letter one: the table refuses the contract, the
 * staged run does not fit it) is also published as `sluice.object.failed`, once per delivery,
 * with its code as the reason and its message (table, column, both types), so `sluice status`
 * and the alerts show why without the logs; the record still fails, so the message reaches the
 * DLQ and can be redriven after a fix.
 */
export async function loadRecord(record: SQSRecord, deps: LoaderDeps): Promise<LoadOutcome> {
  const event = parseEvent(unwrapSqsBody(record.body), "sluice.object.staged");
  deps.logger.appendKeys({ runId: event.data.runId, dataset: event.data.dataset });
  try {
    return await loadStagedRun(event, deps);
  } catch (error) {
    if (error instanceof SluiceError && dispositionOf(error) === "dead-letter")
      await publishFailure(event, error, deps);
    throw error;
  }
}

async function publishFailure(
  staged: SluiceEvent<"sluice.object.staged">,
  error: SluiceError,
  deps: LoaderDeps,
): Promise<void> {
  const { runId, object, dataset } = staged.data;
  const failed = createEvent("sluice.object.failed", LOADER_SOURCE, {
    runId,
    object,
    dataset,
    phase: "loader",
    reason: error.code,
    message: error.message,
    retryable: false,
  });
  try {
    await deps.publisher.publish(failed);
  } catch (publishError) {
    // The record fails either way; the log line of its failure still says why.
    deps.logger.warn("could not publish sluice.object.failed", { error: publishError });
  }
}

/**
 * The loader's handler over injected ports: core's {@link createSqsBatchHandler} in
 * {@link LOADER_BATCH_MODE}. Every record that fails is reported in `batchItemFailures` so SQS
 * redelivers just those: retryable failures succeed later, dead-letter ones (malformed event,
 * schema mismatch) exhaust the queue's receive limit and land in its DLQ, where `sluice status`
 * shows them with the reason their `sluice.object.failed` gave.
 */
export function createLoaderHandler(deps: LoaderDeps): SqsBatchHandler {
  return createSqsBatchHandler({
    mode: LOADER_BATCH_MODE,
    logger: deps.logger,
    handleRecord: (record, logger) => loadRecord(record, { ...deps, logger }),
  });
}
