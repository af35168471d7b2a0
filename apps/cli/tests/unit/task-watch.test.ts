import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, runIdOf, type SluiceEvent, stagingKeysOf } from "@sluice/core";
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
/** The task killed by a signal from outside after it staged (e.g. while loading). */
const killed: TaskExit = {
  runId,
  taskId: "t-1",
  event: received,
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

  async function watchExit(tasksLoad: boolean): Promise<MemoryEventPublisher> {
    const publisher = new MemoryEventPublisher();
    const watch = new TaskWatch({
      journal,
      publisher,
      relayOutbox: async () => undefined,
      onProblem: () => undefined,
      tasksLoad,
    });
    watch.onExit(killed);
    while (watch.pending() > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    return publisher;
  }

  it("fails the run (task-killed, retryable) when tasks load what they stage: staged is no outcome", async () => {
    const publisher = await watchExit(true);

    expect(publisher.events).toMatchObject([
      { type: "sluice.object.failed", data: { runId, reason: "task-killed", retryable: true } },
    ]);
  });

  it("leaves the run to the loader when tasks only stage", async () => {
    const publisher = await watchExit(false);

    expect(publisher.events).toEqual([]);
  });
});
