import { ENV, parseEvent, requireEnv, type SluiceEvent } from "@sluice/core";
import { EXIT_CODES, exitCodeOf } from "./exit-codes";
import { type LegacyJobDeps, runLegacyJob } from "./legacy-job";
import { loadStagedOutput, type TaskLoading } from "./task-load";

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
