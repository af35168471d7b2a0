import { createEvent, type EventPublisher, parseEvent, unwrapSqsBody } from "@sluice/core";
import { STOPPED_TASK_REASONS } from "@sluice/legacy-wrapper";
import type { EventJournal, SqsFunctionHandler, TaskExit } from "@sluice/local";

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
}

/**
 * The dead-task scan. A container task that exits non-zero normally publishes
 * `sluice.object.failed` itself; one that died before it could would leave its run "received"
 * forever. On such an exit the watch looks at the run's events since the launch and, when the
 * latest is still `received` (or `staged`, when tasks load), publishes `sluice.object.failed` for it: `task-killed`
 * (retryable: nothing was wrong with the object) when a signal from outside ended the task
 * (`kill -9`, the OOM killer), `task-exited` (not retryable) when it exited by itself (a crash
 * on start). A task the runtime stopped itself (shutdown) is started again instead.
 */
export class TaskWatch {
  readonly #ports: TaskWatchPorts;
  /** When each run's task was first launched (ISO time): older events are another attempt's. */
  readonly #launchedAt = new Map<string, string>();
  readonly #checking = new Set<Promise<void>>();

  constructor(ports: TaskWatchPorts) {
    this.#ports = ports;
  }

  /** Wraps the launcher's handler so the watch knows when each run's task was launched. */
  timeLaunches(launch: SqsFunctionHandler): SqsFunctionHandler {
    return async (event, context) => {
      for (const record of event.Records) {
        try {
          const received = parseEvent(unwrapSqsBody(record.body), "sluice.object.received");
          if (!this.#launchedAt.has(received.data.runId))
            this.#launchedAt.set(received.data.runId, new Date().toISOString());
        } catch {
          // The launcher itself reports a malformed record; this only times the launch.
        }
      }
      return launch(event, context);
    };
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

  /** Exits still being checked: the pipeline is not drained while one may still publish. */
  pending(): number {
    return this.#checking.size;
  }

  async #reportSilentFailure(exit: TaskExit): Promise<void> {
    if (exit.interrupted || exit.exitCode === 0) return;
    await this.#ports.relayOutbox();
    const since = this.#launchedAt.get(exit.runId) ?? "";
    for await (const entry of this.#ports.journal.entries()) {
      if (entry.event.data.runId !== exit.runId || entry.publishedAt < since) continue;
      const type = entry.event.type;
      if (type !== "sluice.object.received" && !(this.#ports.tasksLoad && type === "sluice.object.staged"))
        return;
    }
    const { data } = exit.event;
    const killed = exit.signal !== null;
    await this.#ports.publisher.publish(
      createEvent("sluice.object.failed", "sluice/local-task-runner", {
        runId: data.runId,
        object: data.object,
        dataset: data.dataset,
        phase: "legacy-wrapper",
        reason: killed ? STOPPED_TASK_REASONS.killed : STOPPED_TASK_REASONS.exited,
        message: killed
          ? `the legacy-wrapper task was killed by ${exit.signal} before it reported an outcome (its legacy program was stopped with it); \`sluice replay --state failed\` runs it again`
          : `the legacy-wrapper task exited with ${exit.exitCode ?? "no exit code"} without reporting an outcome`,
        retryable: killed,
        ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
        ...(exit.stderrTail ? { stderrTail: exit.stderrTail.slice(-2000) } : {}),
      }),
    );
  }
}
