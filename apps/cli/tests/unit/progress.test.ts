import { createEvent, type SluiceEvent } from "@sluice/core";
import type { JournalEntry } from "@sluice/local";
import { createProgress } from "../../src/report/progress";
import { ProgressTally } from "../../src/report/progress-tally";
import { displayWidth, formatTable } from "../../src/report/table";
import { bufferIo } from "../support/harness";
import { screenOf } from "../support/terminal-screen";

const object = (runId: string) => ({
  bucket: "sluice-raw",
  key: `orders/${runId}.csv`,
  size: 100,
  eTag: "e",
});

function received(runId: string): SluiceEvent {
  return createEvent("sluice.object.received", "test", {
    runId,
    object: object(runId),
    dataset: "orders",
    contractVersion: 1,
    route: "lambda",
  });
}

function loaded(runId: string, inserted: number): SluiceEvent {
  return createEvent("sluice.object.loaded", "test", {
    runId,
    object: object(runId),
    dataset: "orders",
    table: "orders",
    inserted,
    updated: 0,
    unchanged: 0,
    alreadyLoaded: false,
  } as never);
}

function failed(runId: string, nextAttempt?: number): SluiceEvent {
  return createEvent("sluice.object.failed", "test", {
    runId,
    object: object(runId),
    dataset: "orders",
    phase: "legacy-wrapper",
    reason: "task-killed",
    message: "killed",
    retryable: true,
    ...(nextAttempt ? { nextAttempt } : {}),
  });
}

const entry = (event: SluiceEvent): JournalEntry => ({ publishedAt: event.time, messageId: event.id, event });

describe("the progress tally", () => {
  it("counts every stored object from the first, each once, by its latest state", () => {
    const tally = new ProgressTally(0);

    for (const runId of ["a", "b", "c", "d", "e"]) tally.stored(runId, 100);
    tally.apply(received("a"));
    tally.apply(loaded("a", 20));

    expect(tally.counts()).toMatchObject({ stored: 4, received: 0, loaded: 1 });
    expect(tally.lines(2000)).toEqual([
      "objects 5: 4 stored · 0 received · 0 staged · 1 loaded · 0 quarantined · 0 failed · 0 retrying",
      "rows 20 loaded · 10 rows/s · 0.5 objects/s · elapsed 2.0 s · ETA 8.0 s",
    ]);
  });

  it("counts a failure that is started again as retrying, not failed or done, until the last attempt fails", () => {
    const tally = new ProgressTally(0);

    tally.stored("a", 100);
    tally.apply(received("a"));
    tally.apply(failed("a", 2));

    expect(tally.counts()).toMatchObject({ failed: 0, retrying: 1 });
    expect(tally.lines(1000)[1]).toContain("0.0 objects/s");

    tally.apply(failed("a"));
    expect(tally.counts()).toMatchObject({ failed: 1, retrying: 0 });
  });

  it("gives no ETA when a size is unknown or nothing is through yet", () => {
    const tally = new ProgressTally(0);

    tally.stored("a", 100);
    tally.apply(received("a"));

    expect(tally.lines(1000)[1]).not.toContain("ETA");
  });
});

describe("the progress view", () => {
  it("on a terminal redraws one block in place, moving up over the last drawing", () => {
    const io = { ...bufferIo(), isTTY: true };
    let now = 0;
    const progress = createProgress(io, false, { redrawMs: 0, tickMs: 60_000 }, () => now);

    progress.stored({ runId: "a", key: "orders/a.csv", size: 100 });
    now = 1000;
    progress.onEvent(entry(received("a")));
    progress.onEvent(entry(loaded("a", 20)));
    progress.end();

    const output = io.stdout.join("");
    expect(output).toContain("\u001b[2A\r\u001b[0J");
    const screen = screenOf(output);
    expect(screen.filter((line) => line.startsWith("objects "))).toEqual([
      "objects 1: 0 stored · 0 received · 0 staged · 1 loaded · 0 quarantined · 0 failed · 0 retrying",
    ]);
  });

  it("off a terminal prints one plain line per stored object and per event, no escape codes", () => {
    const io = bufferIo();
    const progress = createProgress(io, false);

    progress.stored({ runId: "a", key: "orders/a.csv", size: 100 });
    progress.onEvent(entry(received("a")));
    progress.onEvent(entry(failed("a", 2)));
    progress.end();

    expect(io.stdout).toEqual([
      "stored      orders/a.csv (100 bytes)",
      "received    orders/a.csv (orders, route lambda)",
      "retrying    orders/a.csv: task-killed",
    ]);
  });
});

describe("tables", () => {
  it("align columns on display width: wide characters take two columns", () => {
    const table = formatTable(
      ["OBJECT", "STATUS"],
      [
        ["Spring sale café ☕.csv", "loaded"],
        ["売上データ.csv", "loaded"],
        ["plain.csv", "failed"],
      ],
    );

    const statusColumns = table
      .split("\n")
      .map((line) => displayWidth(line.slice(0, line.lastIndexOf(" ") + 1)));
    expect(new Set(statusColumns).size).toBe(1);
    expect(displayWidth("café ☕")).toBe(7);
  });
});
