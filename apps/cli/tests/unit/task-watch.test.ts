import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, runIdOf, type SluiceEvent, stagingKeysOf, type TaskLaunchRequest } from "@sluice/core";
import { EventJournal, MemoryEventPublisher, type TaskExit } from "@sluice/local";
import { TaskWatch } from "../../src/runtime/task-watch";

const object = { bucket: "raw", key: "parcels/monday.csv", size: 10, eTag: "abc" };
const runId = runIdOf(object);
const received = createEvent("sluice.object.received", "sluice/listener", {
  runId,
  object,
  dataset: "parcels",
  contractVersion: 1,
  route: "container",
});
const staged = createEvent("sluice.object.staged", "sluice/legacy-wrapper", {
  ...received.data,
  staged: { bucket: "staging", ...stagingKeysOf("parcels", runId) },
  counts: { rows: 3, staged: 3, rejected: 0 },
});
/** A retryable failure of the run, published by `source`. */
function failedEvent(source: string, reason: string): SluiceEvent<"sluice.object.failed"> {
  return createEvent("sluice.object.failed", source, {
    runId,
    object,
    dataset: "parcels",
    phase: "legacy-wrapper",
    reason,
    message: `an earlier attempt failed: ${reason}`,
    retryable: true,
  });
}

/** The task killed by a signal from outside after it staged (e.g. while loading). */
const killed: TaskExit = {
  runId,
  taskId: "t-1",
  event: received,
  attempt: 1,
  startedAt: new Date(Date.now() - 60_000).toISOString(),
  exitCode: null,
  signal: "SIGKILL",
  interrupted: false,
  stderrTail: "",
};

describe("TaskWatch, on a task killed after it staged its run", () => {
  let dir: string;
  let journal: EventJournal;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "sluice-task-watch-"));
    journal = new EventJournal(join(dir, "journal.ndjson"));
    const at = new Date().toISOString();
    for (const event of [received, staged] as SluiceEvent[])
      await journal.append({ publishedAt: at, messageId: event.id, event });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  function watching(tasksLoad: boolean, maxAttempts: number, retryDelayMs = 1) {
    const publisher = new MemoryEventPublisher();
    const relaunched: Required<TaskLaunchRequest>[] = [];
    const deferred: Required<TaskLaunchRequest>[] = [];
    /** What the watch did, in order: `defer` (the retry recorded), `publish`, `relaunch`. */
    const steps: string[] = [];
    const watch = new TaskWatch({
      journal,
      publisher: {
        publish: async (event) => {
          steps.push("publish");
          await publisher.publish(event);
        },
      },
      relayOutbox: async () => undefined,
      onProblem: () => undefined,
      tasksLoad,
      relaunch: async (request) => {
        steps.push("relaunch");
        relaunched.push(request);
      },
      deferRelaunch: async (request) => {
        steps.push("defer");
        deferred.push(request);
      },
      maxAttempts,
      retryDelayMs: () => retryDelayMs,
    });
    return { watch, publisher, relaunched, deferred, steps };
  }

  async function watchExit(tasksLoad: boolean, exit = killed, maxAttempts = 1) {
    const { watch, publisher, relaunched, steps } = watching(tasksLoad, maxAttempts);
    watch.onExit(exit);
    while (watch.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return Object.assign(publisher, { relaunched, steps });
  }

  it("fails the run (task-killed, retryable) when tasks load what they stage: staged is no outcome", async () => {
    const publisher = await watchExit(true);

    expect(publisher.events).toMatchObject([
      { type: "sluice.object.failed", data: { runId, reason: "task-killed", retryable: true } },
    ]);
  });

  it("leaves the run to the loader when tasks only stage", async () => {
    const publisher = await watchExit(false, killed, 3);

    expect(publisher.events).toEqual([]);
    expect(publisher.relaunched).toEqual([]);
  });

  it("starts the run's task again while it has attempts left, and says so in the failure", async () => {
    const publisher = await watchExit(true, killed, 3);

    expect(publisher.relaunched).toEqual([{ event: received, attempt: 2 }]);
    // Recorded with the tasks first: a runtime killed during the backoff starts it at its next start.
    expect(publisher.steps).toEqual(["defer", "publish", "relaunch"]);
    expect(publisher.events).toMatchObject([
      { type: "sluice.object.failed", data: { reason: "task-killed", retryable: true, nextAttempt: 2 } },
    ]);
    expect((publisher.events[0]!.data as { message: string }).message).toMatch(
      /started again automatically \(attempt 2 of 3\)$/,
    );
  });

  it("counts only the events since the task started: an earlier attempt's failure is not this one's outcome", async () => {
    const earlier = failedEvent("sluice/local-task-runner", "task-killed");
    const firstAttemptEnded = Date.now() - 30_000;
    await journal.append({
      publishedAt: new Date(firstAttemptEnded).toISOString(),
      messageId: earlier.id,
      event: earlier,
    });
    const second = { ...killed, attempt: 2, startedAt: new Date(firstAttemptEnded + 1000).toISOString() };

    const publisher = await watchExit(true, second, 3);

    expect(publisher.events).toMatchObject([
      { type: "sluice.object.failed", data: { reason: "task-killed" } },
    ]);
    expect(publisher.relaunched).toEqual([{ event: received, attempt: 3 }]);
  });

  it("records a retry still waiting for its backoff for the next start when the runtime stops", async () => {
    const { watch, relaunched, deferred } = watching(true, 3, 60_000);

    watch.onExit(killed);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await watch.stop();

    expect(watch.pending()).toBe(0);
    expect(relaunched).toEqual([]);
    expect(deferred).toEqual([{ event: received, attempt: 2 }]);
  });

  it("leaves the run failed when its last attempt is killed", async () => {
    const publisher = await watchExit(true, { ...killed, attempt: 3 }, 3);

    expect(publisher.relaunched).toEqual([]);
    expect(publisher.steps).toEqual(["publish"]);
    expect(publisher.events[0]!.data).not.toHaveProperty("nextAttempt");
    expect((publisher.events[0]!.data as { message: string }).message).toMatch(/sluice replay/);
  });

  it("starts a task that reported a transient failure (exit 75) again, publishing nothing more", async () => {
    const failed = failedEvent("sluice/legacy-wrapper", "database-unavailable");
    await journal.append({ publishedAt: new Date().toISOString(), messageId: failed.id, event: failed });

    const transient = await watchExit(true, { ...killed, signal: null, exitCode: 75 }, 2);
    const crashed = await watchExit(true, { ...killed, signal: null, exitCode: 70 }, 2);

    expect(transient.events).toEqual([]);
    expect(transient.relaunched).toEqual([{ event: received, attempt: 2 }]);
    expect(crashed.relaunched).toEqual([]);
  });
});
