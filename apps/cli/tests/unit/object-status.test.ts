import { randomUUID } from "node:crypto";
import {
  createEvent,
  DatabaseUnavailableError,
  type EventData,
  type LoadTarget,
  runIdOf,
  type SluiceEventType,
} from "@sluice/core";
import type { JournalEntry } from "@sluice/local";
import { collectRunStatuses, EXIT, exitCodeOfRuns } from "../../src";
import { describeRun, problemLines, runsTable, stateText } from "../../src/report/runs-text";
import { latestRunPerObject } from "../../src/status/object-status";

const BUCKET = "sluice-raw";

/** One version of one object, and the events of its runs, each a second after the last. */
function objectVersion(key: string, eTag: string) {
  const object = { bucket: BUCKET, key, size: 10, eTag };
  const runId = runIdOf(object);
  const common = { runId, object, dataset: "orders" };
  const staged = { bucket: "staging", rowsKey: "r", rejectsKey: "j", manifestKey: "m" };
  const counts = { rows: 2, staged: 2, rejected: 0 };
  const data: { [T in SluiceEventType]: EventData<T> } = {
    "sluice.object.received": { ...common, contractVersion: 1, route: "lambda" },
    "sluice.object.staged": { ...common, contractVersion: 1, route: "lambda", staged, counts },
    "sluice.object.loaded": {
      ...common,
      table: "public.orders",
      inserted: 2,
      updated: 0,
      unchanged: 0,
      alreadyLoaded: false,
    },
    "sluice.object.quarantined": {
      ...common,
      route: "lambda",
      reason: "bad-row-ratio",
      message: "2 of 2 rows rejected",
      firstRejections: [],
    },
    "sluice.object.failed": {
      ...common,
      phase: "loader",
      reason: "schema-mismatch",
      message: "table public.orders column amount is text but contract orders v2 declares decimal (numeric)",
      retryable: false,
    },
    "sluice.object.unloaded": { ...common, table: "public.orders", deleted: 2 },
    "sluice.object.split": {
      ...common,
      contractVersion: 1,
      route: "lambda",
      staged,
      attempt: "a-1",
      partBytes: 5,
    },
    "sluice.part.requested": {
      ...common,
      contractVersion: 1,
      route: "lambda",
      part: { index: 1, start: 5, end: 10, firstLine: 2 },
      attempt: "a-1",
      last: true,
    },
    "sluice.part.staged": {
      ...common,
      route: "lambda",
      part: { index: 1, start: 5, end: 10, firstLine: 2 },
      counts,
    },
  };
  return { runId, data };
}

/** Journal entries at one-second steps from a fixed start, in the order given. */
class Timeline {
  readonly entries: JournalEntry[] = [];
  #at = Date.parse("2026-11-27T10:00:00Z");

  /** Appends the events of `types` for `version`; resolves the time of the last. */
  add(version: ReturnType<typeof objectVersion>, ...types: SluiceEventType[]): string {
    for (const type of types) {
      this.#at += 1000;
      const time = new Date(this.#at);
      const event = createEvent(type, "test", version.data[type] as never, { time });
      this.entries.push({ publishedAt: time.toISOString(), messageId: randomUUID(), event });
    }
    return new Date(this.#at).toISOString();
  }

  /** A time between the last event and the next. */
  now(): string {
    return new Date(this.#at + 500).toISOString();
  }
}

/** A database holding only the ledger rows given (what status reads of it). */
function ledgerOf(rows: Record<string, unknown>[]): LoadTarget {
  return {
    async query<Row>(text: string) {
      const result = text.includes("to_regclass") ? [{ found: "sluice.load_ledger" }] : rows;
      return { rows: result as Row[], rowCount: result.length };
    },
    transaction: () => Promise.reject(new Error("status only reads")),
    close: async () => undefined,
  };
}

function ledgerRow(runId: string, status: string, times: { loaded_at?: string; unloaded_at?: string }) {
  return {
    run_id: runId,
    status,
    attempts: 1,
    inserted: 2,
    updated: 0,
    loaded_at: null,
    unloaded_at: null,
    ...times,
  };
}

/** A database whose every query fails with `error`. */
function failingDatabase(error: Error): LoadTarget {
  return {
    query: () => Promise.reject(error),
    transaction: () => Promise.reject(error),
    close: async () => undefined,
  };
}

const JAN = "orders/2026-01.csv";

describe("collectRunStatuses without a reachable database", () => {
  it("goes on from the events and DLQs alone, and says the ledger could not be read", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    const unavailable: DatabaseUnavailableError[] = [];

    const [status] = await collectRunStatuses({
      events: line.entries,
      target: failingDatabase(new DatabaseUnavailableError("connection refused")),
      onLedgerUnavailable: (error) => unavailable.push(error),
    });

    expect(status).toMatchObject({ state: "loaded" });
    expect(status?.ledger).toBeUndefined();
    expect(unavailable.map((error) => error.message)).toEqual(["database unavailable: connection refused"]);
  });

  it("still fails on any other error of the database (a bug is not an outage)", async () => {
    const line = new Timeline();
    line.add(objectVersion(JAN, "v1"), "sluice.object.received");

    const reading = collectRunStatuses({
      events: line.entries,
      target: failingDatabase(new Error("syntax")),
    });

    await expect(reading).rejects.toThrow("syntax");
  });
});

describe("collectRunStatuses: a run's state is its latest attempt's outcome, by event order", () => {
  it("a run replayed under a changed contract and quarantined shows quarantined, and that an earlier load is in the table", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged");
    const loadedAt = line.now();
    line.add(run, "sluice.object.loaded", "sluice.object.received", "sluice.object.quarantined");

    const [status] = await collectRunStatuses({
      events: line.entries,
      target: ledgerOf([ledgerRow(run.runId, "loaded", { loaded_at: loadedAt })]),
    });

    expect(status).toMatchObject({
      state: "quarantined",
      reason: "bad-row-ratio",
      earlierLoadedRunId: run.runId,
    });
    expect(stateText(status!)).toBe("quarantined: bad-row-ratio (an earlier run is loaded)");
    expect(exitCodeOfRuns([status!])).toBe(EXIT.attention);
  });

  it("an object's new version that was quarantined is its latest run, naming the earlier run that is loaded", async () => {
    const jan = objectVersion(JAN, "v1");
    const fixed = objectVersion(JAN, "v2");
    const line = new Timeline();
    line.add(jan, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    line.add(fixed, "sluice.object.received", "sluice.object.quarantined");

    const runs = latestRunPerObject(await collectRunStatuses({ events: line.entries }));

    expect(runs.map((run) => [run.runId, run.state, run.earlierLoadedRunId])).toEqual([
      [fixed.runId, "quarantined", jan.runId],
    ]);
  });

  it("a replay that loads again (or finds the run loaded) ends loaded, without the earlier-load note", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");

    const [status] = await collectRunStatuses({ events: line.entries });

    expect(status).toMatchObject({ state: "loaded" });
    expect(status!.earlierLoadedRunId).toBeUndefined();
  });

  it("the ledger's load wins when it was committed after the run's latest event (its loaded event lost or not archived yet)", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged");

    const [status] = await collectRunStatuses({
      events: line.entries,
      target: ledgerOf([ledgerRow(run.runId, "loaded", { loaded_at: line.now() })]),
    });

    expect(status).toMatchObject({ state: "loaded", ledger: { status: "loaded" } });
  });

  it("a load failure parked in the DLQ keeps its reason and message beside the queue it waits in", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.failed");
    const staged = line.entries[1]!.event;

    const runs = await collectRunStatuses({
      events: line.entries,
      deadLetterQueues: [
        {
          name: "loader-dlq",
          messages: async () => [
            { messageId: "m-1", body: JSON.stringify(staged), receiveCount: 5, sentTimestamp: 0 },
          ],
        },
      ],
    });

    expect(runs[0]).toMatchObject({ state: "dead-lettered", reason: "schema-mismatch (in loader-dlq)" });
    expect(stateText(runs[0]!)).toBe("dead-lettered: schema-mismatch (in loader-dlq)");
    expect(problemLines(runs)).toEqual([
      `dead-lettered ${JAN}: table public.orders column amount is text but contract orders v2 declares decimal (numeric)`,
    ]);
  });

  it("names a DLQ once when two of a run's messages wait in it (a fanned-out run's early start and its load)", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.failed");
    const staged = line.entries[1]!.event;
    const parked = (messageId: string) => ({
      messageId,
      body: JSON.stringify(staged),
      receiveCount: 5,
      sentTimestamp: 0,
    });

    const runs = await collectRunStatuses({
      events: line.entries,
      deadLetterQueues: [{ name: "loader-dlq", messages: async () => [parked("m-1"), parked("m-2")] }],
    });

    expect(runs[0]).toMatchObject({ state: "dead-lettered", reason: "schema-mismatch (in loader-dlq)" });
    expect(runs[0]!.deadLetters).toHaveLength(2);
  });

  it("a container task killed and started again shows retrying (no attention needed) until an attempt loads or the last one fails", async () => {
    const run = objectVersion(JAN, "v1");
    const failed = run.data["sluice.object.failed"];
    const killed = (nextAttempt?: number) => ({
      ...run,
      data: {
        ...run.data,
        "sluice.object.failed": {
          ...failed,
          phase: "legacy-wrapper" as const,
          reason: "task-killed",
          retryable: true,
          message: nextAttempt
            ? `killed; started again automatically (attempt ${nextAttempt} of 2)`
            : "killed",
          ...(nextAttempt ? { nextAttempt } : {}),
        },
      },
    });
    const line = new Timeline();
    line.add(run, "sluice.object.received");
    line.add(killed(2), "sluice.object.failed");

    const retrying = await collectRunStatuses({ events: line.entries });

    expect(retrying[0]).toMatchObject({ state: "retrying", reason: "task-killed" });
    expect(retrying[0]!.message).toMatch(/attempt 2 of 2/);
    expect(stateText(retrying[0]!)).toBe("retrying: task-killed");
    expect(problemLines(retrying)).toEqual([]);
    expect(exitCodeOfRuns(retrying)).toBe(EXIT.ok);

    const lastFailed = new Timeline();
    lastFailed.entries.push(...line.entries);
    lastFailed.add(killed(), "sluice.object.failed");
    const failedRuns = await collectRunStatuses({ events: lastFailed.entries });
    expect(failedRuns[0]).toMatchObject({ state: "failed", reason: "task-killed" });
    expect(exitCodeOfRuns(failedRuns)).toBe(EXIT.attention);

    line.add(run, "sluice.object.staged", "sluice.object.loaded");
    expect((await collectRunStatuses({ events: line.entries }))[0]).toMatchObject({ state: "loaded" });
  });

  it("a failed load redriven after a fix shows loaded, without the failure's reason", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(
      run,
      "sluice.object.received",
      "sluice.object.staged",
      "sluice.object.failed",
      "sluice.object.loaded",
    );

    const runs = await collectRunStatuses({ events: line.entries });

    expect(runs[0]).toMatchObject({ state: "loaded" });
    expect([runs[0]!.reason, runs[0]!.message]).toEqual([undefined, undefined]);
    expect(problemLines(runs)).toEqual([]);
  });

  it("an unloaded run shows unloaded (from its event, or from the ledger), and a later replay loads it again", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    const beforeUnload = [...line.entries];
    const unloadedAt = line.now();
    line.add(run, "sluice.object.unloaded");
    const unloaded = [...line.entries];
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    const ledger = ledgerOf([
      ledgerRow(run.runId, "unloaded", { loaded_at: unloadedAt, unloaded_at: unloadedAt }),
    ]);

    const byEvent = await collectRunStatuses({ events: unloaded });
    const byLedger = await collectRunStatuses({ events: beforeUnload, target: ledger });
    const reloaded = await collectRunStatuses({ events: line.entries });

    expect(byEvent[0]).toMatchObject({ state: "unloaded", unload: { table: "public.orders", deleted: 2 } });
    expect(byLedger[0]).toMatchObject({ state: "unloaded" });
    expect(exitCodeOfRuns(byEvent)).toBe(EXIT.ok);
    expect(reloaded[0]).toMatchObject({ state: "loaded" });
  });
});

describe("collectRunStatuses: a fanned-out run", () => {
  it("shows its parts while they stage, counting a redelivered part once, and their number once staged", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.split", "sluice.part.requested");
    line.add(run, "sluice.part.staged", "sluice.part.staged");

    const [staging] = await collectRunStatuses({ events: line.entries });

    expect(staging?.parts).toEqual({ requested: 2, staged: 1, total: 2 });
    expect(stateText(staging!)).toBe("staging: 1 of 2 parts staged");
    run.data["sluice.object.staged"] = { ...run.data["sluice.object.staged"], parts: 2 };
    line.add(run, "sluice.object.staged");
    const [staged] = await collectRunStatuses({ events: line.entries });
    expect(staged).toMatchObject({ state: "staged", parts: { total: 2 } });
    expect(describeRun(staged!)).toContain("parts      1 of 2 parts staged");
  });

  it("shows the load that put the rows in when a second delivery of the same attempt found them loaded", async () => {
    const run = objectVersion(JAN, "v1");
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.split", "sluice.object.loaded");
    run.data["sluice.object.loaded"] = {
      ...run.data["sluice.object.loaded"],
      inserted: 0,
      alreadyLoaded: true,
    };
    line.add(run, "sluice.object.staged", "sluice.object.loaded");

    const [status] = await collectRunStatuses({ events: line.entries });

    expect(status?.load).toMatchObject({ inserted: 2, alreadyLoaded: false });
    expect(stateText(status!)).toBe("loaded");
  });

  it("says why an object above the threshold was staged in one pass", async () => {
    const run = objectVersion(JAN, "v1");
    run.data["sluice.object.staged"] = {
      ...run.data["sluice.object.staged"],
      unsplitReason: "gzip cannot be split by byte range",
    };
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged");

    const [status] = await collectRunStatuses({ events: line.entries });

    expect(describeRun(status!)).toContain("one pass   not split: gzip cannot be split by byte range");
  });
});

describe("collectRunStatuses: what a load did reaches status", () => {
  it("shows repeated keys, deletes and the loader's rejections of a load, and counts them as rejected", async () => {
    const run = objectVersion(JAN, "v1");
    run.data["sluice.object.loaded"] = {
      ...run.data["sluice.object.loaded"],
      inserted: 5,
      deleted: 1,
      repeats: 3,
      rejected: 2,
    };
    const line = new Timeline();
    line.add(run, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");

    const [status] = await collectRunStatuses({ events: line.entries });

    expect(status?.load).toMatchObject({ deleted: 1, repeats: 3, rejected: 2, reloaded: false });
    expect(describeRun(status!)).toContain(
      "into public.orders: 5 inserted, 0 updated, 0 unchanged, 1 deleted, 3 repeated keys, 2 rejected by the loader",
    );
    expect(runsTable([status!]).split("\n")[2]).toMatch(/ loaded +2 +5 +2 /);
  });

  it("says an older snapshot was skipped, and a reload under a changed contract, in the status text", async () => {
    const older = objectVersion(JAN, "v1");
    older.data["sluice.object.loaded"] = {
      ...older.data["sluice.object.loaded"],
      inserted: 0,
      skipped: { reason: "older-snapshot", message: "snapshot older than the one loaded (2017)" },
    };
    const reloaded = objectVersion("orders/2026-02.csv", "v1");
    reloaded.data["sluice.object.loaded"] = {
      ...reloaded.data["sluice.object.loaded"],
      reloaded: true,
      previousContractVersion: 1,
    };
    const line = new Timeline();
    line.add(older, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");
    line.add(reloaded, "sluice.object.received", "sluice.object.staged", "sluice.object.loaded");

    const runs = await collectRunStatuses({ events: line.entries });
    const byKey = new Map(runs.map((run) => [run.key, run]));

    expect(stateText(byKey.get(JAN)!)).toBe("loaded: skipped (older-snapshot)");
    expect(describeRun(byKey.get(JAN)!)).toContain("skipped    snapshot older than the one loaded (2017)");
    expect(stateText(byKey.get("orders/2026-02.csv")!)).toBe("loaded (reloaded: contract changed)");
  });
});
