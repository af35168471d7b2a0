import {
  createEvent,
  DEFAULT_TASK_MAX_ATTEMPTS,
  ENV,
  intFromEnv,
  parseEvent,
  type SluiceEvent,
  type TaskLaunchRequest,
} from "@sluice/core";
import { EXIT_CODES } from "./exit-codes";

/** The EventBridge `detail-type` of ECS task state changes. */
export const TASK_STATE_CHANGE = "ECS Task State Change";

/** What Sluice reads of an ECS "Task State Change" event's `detail` (the task as DescribeTasks shows it). */
export interface StoppedTaskDetail {
  taskArn: string;
  lastStatus: string;
  /** E.g. `EssentialContainerExited`, `TaskFailedToStart`, `SpotInterruption`, `UserInitiated`. */
  stopCode?: string;
  stoppedReason?: string;
  containers?: { name: string; exitCode?: number; reason?: string }[];
  overrides?: { containerOverrides?: { name: string; environment?: { name: string; value: string }[] }[] };
}

/** The EventBridge event of an ECS task state change, as the rule delivers it to the launcher's queue. */
export interface TaskStateChangeEvent {
  "detail-type": typeof TASK_STATE_CHANGE;
  source: "aws.ecs";
  detail: StoppedTaskDetail;
}

/** The ECS task state change an SQS record's `body` carries, or `undefined` when it carries a pipeline event. */
export function taskStateChangeOf(body: string): TaskStateChangeEvent | undefined {
  if (!body.includes(TASK_STATE_CHANGE)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const event = parsed as Partial<TaskStateChangeEvent>;
  return event["detail-type"] === TASK_STATE_CHANGE && event.source === "aws.ecs" && event.detail
    ? (event as TaskStateChangeEvent)
    : undefined;
}

/**
 * Exit codes with which the wrapper itself published the run's outcome (`staged`/`loaded`/
 * `quarantined`, or `failed`): the watch has nothing to add.
 */
const REPORTED_EXITS: ReadonlySet<number> = new Set([
  EXIT_CODES.done,
  EXIT_CODES.failed,
  EXIT_CODES.retryable,
]);

/**
 * The `reason` of the `sluice.object.failed` a task that stopped without reporting gets: here
 * from ECS's account of the stop, locally from the runtime's task watch (`apps/cli`).
 */
export const STOPPED_TASK_REASONS = {
  /** Out of memory: it would run out again; not retryable. */
  outOfMemory: "task-out-of-memory",
  /** The container never ran (image pull, capacity, network); retryable. */
  notStarted: "task-not-started",
  /** Ended from outside (a signal, Fargate Spot, a stop): nothing was wrong with the object; retryable. */
  killed: "task-killed",
  /** Exited by itself without reporting (a crash, exit 64 or 70); not retryable. */
  exited: "task-exited",
} as const;

/** One of {@link STOPPED_TASK_REASONS}. */
export type StoppedTaskReason = (typeof STOPPED_TASK_REASONS)[keyof typeof STOPPED_TASK_REASONS];

/** How the task ended, when the wrapper could not say so itself. */
function whyStopped(
  detail: StoppedTaskDetail,
  container: { exitCode?: number; reason?: string } | undefined,
): { reason: StoppedTaskReason; retryable: boolean; message: string } {
  const said = [detail.stoppedReason, container?.reason].filter(Boolean).join("; ");
  const because = said ? ` (${said})` : "";
  if (container?.reason?.includes("OutOfMemory"))
    return {
      reason: STOPPED_TASK_REASONS.outOfMemory,
      retryable: false,
      message: `the legacy-wrapper task ran out of memory before it reported an outcome${because}; give the task definition more memory, then \`sluice replay\` the object`,
    };
  if (container?.exitCode === undefined)
    return {
      reason: STOPPED_TASK_REASONS.notStarted,
      retryable: true,
      message: `the legacy-wrapper task stopped before its container ran${because}`,
    };
  const stoppedFromOutside =
    container.exitCode === 137 ||
    container.exitCode === 143 ||
    ["SpotInterruption", "TerminationNotice", "ServiceSchedulerInitiated", "UserInitiated"].includes(
      detail.stopCode ?? "",
    );
  if (stoppedFromOutside)
    return {
      reason: STOPPED_TASK_REASONS.killed,
      retryable: true,
      message: `the legacy-wrapper task was stopped (exit ${container.exitCode}) before it reported an outcome${because}`,
    };
  return {
    reason: STOPPED_TASK_REASONS.exited,
    retryable: false,
    message: `the legacy-wrapper task exited with ${container.exitCode} without reporting an outcome${because}`,
  };
}

/** What a stopped task of Sluice's was started for: its container, its run's event and its attempt. */
interface StoppedTask {
  container: { exitCode?: number; reason?: string } | undefined;
  received: SluiceEvent<"sluice.object.received">;
  attempt: number;
}

/**
 * Reads a stopped task: `undefined` when it is not stopped yet or not Sluice's (no
 * `SLUICE_TASK_EVENT` override); a malformed event throws core's `MalformedEventError`.
 */
function stoppedTaskOf(detail: StoppedTaskDetail, containerName: string): StoppedTask | undefined {
  if (detail.lastStatus !== "STOPPED") return undefined;
  const container = detail.containers?.find((c) => c.name === containerName);
  const override = detail.overrides?.containerOverrides?.find((o) => o.name === containerName);
  const variable = (name: string) => override?.environment?.find((v) => v.name === name)?.value;
  const eventJson = variable(ENV.taskEvent);
  if (eventJson === undefined) return undefined;
  const attempt = Number(variable(ENV.taskAttempt) ?? 1);
  return {
    container,
    received: parseEvent(eventJson, "sluice.object.received"),
    attempt: Number.isSafeInteger(attempt) && attempt > 0 ? attempt : 1,
  };
}

/**
 * The `sluice.object.failed` a stopped legacy-wrapper task owes its run when the wrapper could not
 * publish it itself — the container killed (out of memory, Fargate Spot, a stop), never started
 * (image pull, capacity, network), or ended by an exit code the wrapper does not end with after
 * reporting (`64` bad input, `70` could not publish, a crash) — or `undefined` when the wrapper
 * reported (exit 0, 65 or 75) or the task is not stopped yet. The run comes from the task's own
 * `SLUICE_TASK_EVENT` (the launcher's container override); a task without one is not Sluice's
 * to report, and a malformed one throws core's `MalformedEventError`. `retry`, when the run is
 * started again ({@link stoppedTaskRetry}), is named in the message.
 */
export function stoppedTaskFailure(
  detail: StoppedTaskDetail,
  containerName: string,
  retry?: { attempt: number; maxAttempts: number },
): SluiceEvent<"sluice.object.failed"> | undefined {
  const stopped = stoppedTaskOf(detail, containerName);
  if (!stopped) return undefined;
  const { container, received } = stopped;
  if (container?.exitCode !== undefined && REPORTED_EXITS.has(container.exitCode)) return undefined;
  const { runId, object, dataset } = received.data;
  const { reason, retryable, message } = whyStopped(detail, container);
  return createEvent("sluice.object.failed", "sluice/launcher", {
    runId,
    object,
    dataset,
    phase: "legacy-wrapper",
    reason,
    message: `${message} [${detail.taskArn}]${retry ? retryNote(retry.attempt, retry.maxAttempts) : ""}`,
    retryable,
    ...(retry ? { nextAttempt: retry.attempt } : {}),
    ...(container?.exitCode !== undefined ? { exitCode: container.exitCode } : {}),
  });
}

/**
 * The launch a stopped task's run is owed, as SQS would redeliver a Lambda phase's retryable
 * failure: the same event, one attempt later, when the stop was retryable — the wrapper's own
 * exit 75, or a stop it could not report that {@link stoppedTaskFailure} calls retryable
 * (killed, Fargate Spot, never started) — and the run has had fewer than `maxAttempts` tasks.
 * Otherwise `undefined`: the run stays failed until `sluice replay`.
 */
export function stoppedTaskRetry(
  detail: StoppedTaskDetail,
  containerName: string,
  maxAttempts: number,
): Required<TaskLaunchRequest> | undefined {
  const stopped = stoppedTaskOf(detail, containerName);
  const attempt = stopped && nextAttemptOf(stopped.attempt, maxAttempts);
  if (!stopped || attempt === undefined) return undefined;
  const exitCode = stopped.container?.exitCode;
  const retryable =
    exitCode === EXIT_CODES.retryable ||
    ((exitCode === undefined || !REPORTED_EXITS.has(exitCode)) &&
      whyStopped(detail, stopped.container).retryable);
  return retryable ? { event: stopped.received, attempt } : undefined;
}

/**
 * The attempt a retryable failure of attempt `attempt` starts, while the run has had fewer than
 * `maxAttempts` tasks; else `undefined`. The one rule of the launcher, the local task watch and
 * the task itself (which announces the retry its exit 75 gets).
 */
export function nextAttemptOf(attempt: number, maxAttempts: number): number | undefined {
  return attempt < maxAttempts ? attempt + 1 : undefined;
}

/** What a failure's message says when its run is started again: which attempt, of how many. */
export function retryNote(attempt: number, maxAttempts: number): string {
  return `; started again automatically (attempt ${attempt} of ${maxAttempts})`;
}

/** The launcher's {@link ENV.taskMaxAttempts}, or core's default; a bad value is a `ConfigError`. */
export function taskMaxAttemptsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  return intFromEnv(ENV.taskMaxAttempts, DEFAULT_TASK_MAX_ATTEMPTS, env);
}
