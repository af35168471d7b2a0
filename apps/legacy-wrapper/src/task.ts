import { ENV, type EventPublisher, intFromEnv, parseEvent, requireEnv, type SluiceEvent } from "@sluice/core";
import { EXIT_CODES, exitCodeOf } from "./exit-codes";
import { type LegacyJobDeps, runLegacyJob } from "./legacy-job";
import { loadStagedOutput, type TaskLoading } from "./task-load";
import { nextAttemptOf, retryNote, taskMaxAttemptsFromEnv } from "./task-stopped";

/** Everything one task process needs, built by the entrypoint (AWS or local ports). */
export interface LegacyTaskDeps extends LegacyJobDeps {
  /** Set when a database is configured: the task loads the run it staged (`loadStagedOutput`). */
  loading?: TaskLoading;
}

/** The `sluice.object.received` event the task was started for, read from `SLUICE_TASK_EVENT`. */
export function taskEventFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): SluiceEvent<"sluice.object.received"> {
  return parseEvent(requireEnv(ENV.taskEvent, env), "sluice.object.received");
}

/**
 * Runs the task for `event` — the legacy job, then, when `deps.loading` is set and the run was
 * staged, its load — and returns the process exit code ({@link EXIT_CODES}). Never rejects: a
 * failure to even publish `object.failed` is logged and mapped to `internalError`.
 */
export async function runLegacyTask(
  event: SluiceEvent<"sluice.object.received">,
  deps: LegacyTaskDeps,
): Promise<number> {
  try {
    const job = await runLegacyJob(event, deps);
    const outcome =
      job.status === "staged" && deps.loading ? await loadStagedOutput(job.staged, deps.loading, deps) : job;
    deps.logger.info("legacy job ended", { status: outcome.status, exitCode: exitCodeOf(outcome) });
    return exitCodeOf(outcome);
  } catch (error) {
    deps.logger.error("legacy job could not record its outcome", { error: error as Error });
    return EXIT_CODES.internalError;
  }
}

/** Which attempt at its run this task is (`SLUICE_TASK_ATTEMPT`, 1 when unset), of how many (`SLUICE_TASK_MAX_ATTEMPTS`). */
export function taskAttemptsFromEnv(env: NodeJS.ProcessEnv = process.env): {
  attempt: number;
  maxAttempts: number;
} {
  return { attempt: intFromEnv(ENV.taskAttempt, 1, env), maxAttempts: taskMaxAttemptsFromEnv(env) };
}

/**
 * `publisher`, with each retryable `sluice.object.failed` the task publishes marked with the
 * attempt that its exit (75) starts again, while the run has attempts left: `nextAttempt`, also
 * said in the message. The launcher (locally the task watch) starts that attempt, so the failure
 * alerts no one; the last attempt's failure is published as it is.
 */
export function announcingRetries(
  publisher: EventPublisher,
  { attempt, maxAttempts }: { attempt: number; maxAttempts: number },
): EventPublisher {
  const nextAttempt = nextAttemptOf(attempt, maxAttempts);
  if (nextAttempt === undefined) return publisher;
  return {
    publish: (event) => {
      if (event.type !== "sluice.object.failed") return publisher.publish(event);
      const failed = event as SluiceEvent<"sluice.object.failed">;
      if (!failed.data.retryable) return publisher.publish(event);
      return publisher.publish({
        ...failed,
        data: {
          ...failed.data,
          nextAttempt,
          message: failed.data.message + retryNote(nextAttempt, maxAttempts),
        },
      });
    },
  };
}
