import type { LegacyJobOutcome } from "./legacy-job";

/**
 * Exit codes of the legacy-wrapper task process (what ECS records as the container's exit code
 * and the local task runner reads). The outcome itself is always also published as an event.
 */
export const EXIT_CODES = {
  /** Staged (`object.staged` published) or quarantined whole (`object.quarantined` published). */
  done: 0,
  /** The task failed unexpectedly and could not publish `object.failed` (e.g. the bus is down). */
  internalError: 70,
  /** No or malformed `SLUICE_TASK_EVENT`, or bad configuration: nothing could be attempted. */
  badInput: 64,
  /** The run failed for good (program exit code, timeout, unreadable output…); `object.failed` published, retryable=false. */
  failed: 65,
  /** The run failed transiently or the task was stopped (SIGTERM); `object.failed` published, retryable=true. */
  retryable: 75,
} as const;

/** The process exit code of a job outcome. */
export function exitCodeOf(outcome: LegacyJobOutcome): number {
  if (outcome.status !== "failed") return EXIT_CODES.done;
  return outcome.retryable ? EXIT_CODES.retryable : EXIT_CODES.failed;
}
