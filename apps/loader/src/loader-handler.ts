import {
  type BatchMode,
  createEvent,
  createSqsBatchHandler,
  dispositionOf,
  ENV,
  intFromEnv,
  parseEvent,
  SluiceError,
  type SluiceEvent,
  type SqsBatchHandler,
  unwrapSqsBody,
} from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import { LOADER_SOURCE, type LoaderDeps, type LoadOutcome } from "./load-outcome";
import { type EarlyStartOutcome, loadSplitRun } from "./load-split-run";
import { loadStagedRun } from "./load-staged-run";

/**
 * The loader loads the records of an SQS batch one after another: each holds the instance's one
 * database connection (a pool of one, and PGlite is one connection) for its transaction (the
 * run's ledger row lock, COPY, merge) while it streams a staged file; in parallel they would only
 * queue for that connection or contend for the target table's locks.
 */
export const LOADER_BATCH_MODE: BatchMode = "sequential";

/** What the loader's SQS handler needs: the load's ports, and the queue's receive limit. */
export interface LoaderHandlerDeps extends LoaderDeps {
  /**
   * The `maxReceiveCount` of the loader's queue (`SLUICE_MAX_RECEIVE_COUNT`). A retryable failure
   * on that receive (the last before the DLQ) is published as `sluice.object.failed`, so the DLQ
   * entry has its reason; unset, retryable failures publish nothing.
   */
  maxReceiveCount?: number;
}

/** The queue's receive limit from `SLUICE_MAX_RECEIVE_COUNT` (see {@link LoaderHandlerDeps}), when set. */
export function maxReceiveCountFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): number | undefined {
  return env[ENV.maxReceiveCount] ? intFromEnv(ENV.maxReceiveCount, 1, env) : undefined;
}

/**
 * Loads one SQS record: an `sluice.object.staged` event, or the `sluice.object.split` of a run
 * fanned out over parts (its early start, {@link loadSplitRun}: it never fails its message),
 * SNS-wrapped or raw. Its run id and dataset are appended to `deps.logger`, the record's own
 * logger (the batch handler makes one per record), so every line of the load, a failure's
 * included, carries them. Throws what {@link loadStagedRun} throws (and a `MalformedEventError`
 * for a body that is not such an event). `remainingMs` is the invocation's time left (the Lambda
 * context's), which bounds an early start's wait for parts.
 *
 * A failure is also published as `sluice.object.failed` (its code as the reason, its message),
 * so `sluice status` and the alerts show why without the logs, when retrying cannot fix it (a
 * dead-letter one: the table refuses the contract, the staged run does not fit it; once per
 * delivery, `retryable: false`), or when this was the message's last receive before the DLQ
 * (`retryable: true`: the database stayed unavailable, say; a redrive retries it). The record
 * still fails, so the message reaches the DLQ and can be redriven after a fix. Other retryable
 * failures publish nothing: they are expected to pass.
 */
export async function loadRecord(
  record: SQSRecord,
  deps: LoaderHandlerDeps,
  remainingMs?: () => number,
): Promise<LoadOutcome | EarlyStartOutcome> {
  const event = parseEvent(unwrapSqsBody(record.body), LOADER_EVENT_TYPES);
  deps.logger.appendKeys({ runId: event.data.runId, dataset: event.data.dataset });
  if (isSplit(event)) return loadSplitRun(event, deps, remainingMs ? { remainingMs: remainingMs() } : {});
  const staged = event as SluiceEvent<"sluice.object.staged">;
  try {
    return await loadStagedRun(staged, deps);
  } catch (error) {
    const disposition = dispositionOf(error);
    if (disposition === "dead-letter" || (disposition === "retry" && isLastReceive(record, deps)))
      await publishFailure(staged, error, disposition !== "dead-letter", deps);
    throw error;
  }
}

/** The event types the loader's queue delivers (core's `CONSUMER_FILTERS.loader`). */
const LOADER_EVENT_TYPES = ["sluice.object.staged", "sluice.object.split"] as const;

function isSplit(
  event: SluiceEvent<(typeof LOADER_EVENT_TYPES)[number]>,
): event is SluiceEvent<"sluice.object.split"> {
  return event.type === "sluice.object.split";
}

function isLastReceive(record: SQSRecord, { maxReceiveCount }: LoaderHandlerDeps): boolean {
  const received = Number(record.attributes?.ApproximateReceiveCount);
  return maxReceiveCount !== undefined && received >= maxReceiveCount;
}

/**
 * The `sluice.object.failed` of a load of `staged` that threw `error`: `phase: loader`, the
 * error's code as the reason (`load-failed` for an error without one), its message. `source` is
 * who ran the load ({@link LOADER_SOURCE} by default).
 */
export function loadFailureEvent(
  staged: SluiceEvent<"sluice.object.staged">,
  error: unknown,
  retryable: boolean,
  source: string = LOADER_SOURCE,
): SluiceEvent<"sluice.object.failed"> {
  const { runId, object, dataset } = staged.data;
  return createEvent("sluice.object.failed", source, {
    runId,
    object,
    dataset,
    phase: "loader",
    reason: error instanceof SluiceError ? error.code : "load-failed",
    message: error instanceof Error ? error.message : String(error),
    retryable,
  });
}

async function publishFailure(
  staged: SluiceEvent<"sluice.object.staged">,
  error: unknown,
  retryable: boolean,
  deps: LoaderDeps,
): Promise<void> {
  try {
    await deps.publisher.publish(loadFailureEvent(staged, error, retryable, deps.source));
  } catch (publishError) {
    // The record fails either way; the log line of its failure still says why.
    deps.logger.warn("could not publish sluice.object.failed", { error: publishError });
  }
}

/**
 * The loader's handler over injected ports: core's {@link createSqsBatchHandler} in
 * {@link LOADER_BATCH_MODE}. Every record that fails is reported in `batchItemFailures` so SQS
 * redelivers just those: retryable failures (the database unavailable, a lock timeout) succeed
 * later, dead-letter ones (malformed event, schema mismatch) exhaust the queue's receive limit and
 * land in its DLQ, where `sluice status` shows them with the reason their `sluice.object.failed`
 * gave. A lost database connection fails its record, never the process (`PgLoadTarget`). An
 * early start (`sluice.object.split`) waits for parts at most until `earlyStartReserveMs` before
 * the invocation's timeout, read from the Lambda context's `getRemainingTimeInMillis`.
 */
export function createLoaderHandler(deps: LoaderHandlerDeps): SqsBatchHandler {
  // A batch handler per invocation: its records' early starts read that invocation's remaining time.
  return (event, context) => {
    const remainingMs = context ? () => context.getRemainingTimeInMillis() : undefined;
    return createSqsBatchHandler({
      mode: LOADER_BATCH_MODE,
      logger: deps.logger,
      handleRecord: (record, logger) => loadRecord(record, { ...deps, logger }, remainingMs),
    })(event, context);
  };
}
