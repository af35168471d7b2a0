import { setTimeout as sleep } from "node:timers/promises";
import { createEvent, type EventPublisher, type TaskLaunchRequest } from "@sluice/core";
import { EXIT_CODES, nextAttemptOf, retryNote, STOPPED_TASK_REASONS } from "@sluice/legacy-wrapper";
import type { EventJournal, TaskExit } from "@sluice/local";

/** What {@link TaskWatch} reads and publishes through. */
export interface TaskWatchPorts {
  /** The events so far: did the task report an outcome? */
  journal: EventJournal;
  publisher: EventPublisher;
  /** Relays what tasks wrote to the outbox, so their last events are in the journal. */
  relayOutbox: () => Promise<void>;
  /** Receives a failure to report (the task's run then stays as it was). */
  onProblem: (line: string) => void;
  /**
   * True when tasks load what they stage (`containerLoadsFor`: a Postgres server): a run the task
   * staged and did not load has no outcome yet. Else staging is the task's outcome (the loader loads).
   */
  tasksLoad?: boolean;
  /** Starts a run's task again (the task runner's launch). */
  relaunch: (request: Required<TaskLaunchRequest>) => Promise<unknown>;
  /**
   * Records a retry with the tasks (the task runner's `deferLaunch`), for the next start to start
   * should the runtime stop or die before the backoff ends; the relaunch replaces the record.
   */
  deferRelaunch: (request: Required<TaskLaunchRequest>) => Promise<void>;
  /** Tasks a run gets before a retryable exit is left failed (`SLUICE_TASK_MAX_ATTEMPTS`). */
  maxAttempts: number;
  /** How long to wait before starting attempt `attempt` (2, 3, …): the launcher's retry backoff. */
  retryDelayMs: (attempt: number) => number;
}

/**
 * The dead-task scan. A container task that exits non-zero normally publishes
 * `sluice.object.failed` itself; one that died before it could would leave its run "received"
 * forever. On such an exit the watch looks at the run's events since the task started and, when the
 * latest is still `received` (or `staged`, when tasks load), publishes `sluice.object.failed` for it: `task-killed`
 * (retryable: nothing was wrong with the object) when a signal from outside ended the task
 * (`kill -9`, the OOM killer), `task-exited` (not retryable) when it exited by itself (a crash
 * on start). A task the runtime stopped itself (shutdown) is started again instead.
 *
 * A retryable exit — killed from outside, or the wrapper's own exit 75 (a transient failure it
 * reported) — starts the run's task again after the launcher's retry backoff, one attempt later,
 * until the run has had `maxAttempts` tasks: as the launcher does in AWS for the cluster's
 * stopped tasks, and as SQS redelivers a Lambda phase's retryable failure. The failure the
 * watch publishes then says which attempt comes next. The retry is recorded with the tasks
 * before its failure is published, so a runtime stopped (Ctrl-C) or killed (`kill -9`) during
 * the backoff starts it at its next start.
 */
export class TaskWatch {
  readonly #ports: TaskWatchPorts;
  readonly #checking = new Set<Promise<void>>();
  /** Aborts the retries still waiting for their backoff when the runtime stops. */
  readonly #stopping = new AbortController();

  constructor(ports: TaskWatchPorts) {
    this.#ports = ports;
  }

  /** The task runner's `onExit`: checks a failed exit in the background. */
  onExit(exit: TaskExit): void {
    const checking = this.#reportSilentFailure(exit)
      .catch((error) =>
        this.#ports.onProblem(`[${exit.runId}] could not report the task's failure: ${String(error)}`),
      )
      .finally(() => this.#checking.delete(checking));
    this.#checking.add(checking);
  }

  /** Exits still being checked (or waiting to start their retry): the pipeline is not drained while one is. */
  pending(): number {
    return this.#checking.size;
  }

  /** Ends the retries' backoffs (the runtime is stopping): their records start them at the next start. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    while (this.#checking.size > 0) await Promise.allSettled([...this.#checking]);
  }

  async #reportSilentFailure(exit: TaskExit): Promise<void> {
    if (exit.interrupted || exit.exitCode === 0) return;
    await this.#ports.relayOutbox();
    const reported = await this.#reported(exit);
    const killed = exit.signal !== null;
    const retryable = (killed && !reported) || exit.exitCode === EXIT_CODES.retryable;
    const retry = retryable ? nextAttemptOf(exit.attempt, this.#ports.maxAttempts) : undefined;
    const request = retry === undefined ? undefined : { event: exit.event, attempt: retry };
    // The retry is recorded with the tasks before anything says it is coming, and stays there
    // through the backoff: a runtime stopped or killed meanwhile starts it at its next start.
    if (request) await this.#ports.deferRelaunch(request);
    if (!reported) await this.#publishFailure(exit, retry);
    if (!request) return;
    try {
      await sleep(this.#ports.retryDelayMs(request.attempt), undefined, { signal: this.#stopping.signal });
    } catch {
      return;
    }
    await this.#ports.relaunch(request);
  }

  /**
   * True when the run's events since the task started hold its outcome (the task reported);
   * earlier ones (an earlier attempt's failure) are not this task's.
   */
  async #reported(exit: TaskExit): Promise<boolean> {
    for await (const entry of this.#ports.journal.entries()) {
      if (entry.event.data.runId !== exit.runId || entry.publishedAt < exit.startedAt) continue;
      const type = entry.event.type;
      if (type !== "sluice.object.received" && !(this.#ports.tasksLoad && type === "sluice.object.staged"))
        return true;
    }
    return false;
  }

  async #publishFailure(exit: TaskExit, retry: number | undefined): Promise<void> {
    const { data } = exit.event;
    const killed = exit.signal !== null;
    const next = retry !== undefined ? retryNote(retry, this.#ports.maxAttempts) : "";
    await this.#ports.publisher.publish(
      createEvent("sluice.object.failed", "sluice/local-task-runner", {
        runId: data.runId,
        object: data.object,
        dataset: data.dataset,
        phase: "legacy-wrapper",
        reason: killed ? STOPPED_TASK_REASONS.killed : STOPPED_TASK_REASONS.exited,
        message: killed
          ? `the legacy-wrapper task was killed by ${exit.signal} before it reported an outcome (its legacy program was stopped with it)${next || "; `sluice replay --state failed` runs it again"}`
          : `the legacy-wrapper task exited with ${exit.exitCode ?? "no exit code"} without reporting an outcome`,
        retryable: killed,
        ...(retry !== undefined ? { nextAttempt: retry } : {}),
        ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
        ...(exit.stderrTail ? { stderrTail: exit.stderrTail.slice(-2000) } : {}),
      }),
    );
  }
}
