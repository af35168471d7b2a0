import { createEvent } from "@sluice/core";
import { createReporter, type Reporter } from "../../src";
import type { ProgressOptions } from "../../src/report/reporter";
import { bufferIo } from "../support/harness";

const RECEIVED = {
  publishedAt: "2026-01-01T00:00:00.000Z",
  messageId: "m-1",
  event: createEvent("sluice.object.received", "test", {
    runId: "r-1",
    object: { bucket: "sluice-raw", key: "orders/a.csv", size: 3, eTag: "e" },
    dataset: "orders",
    contractVersion: 1,
    route: "lambda",
  }),
};

/** Follows one `received` event the way a command follows a runtime. */
function showOneEvent(reporter: Reporter, options?: ProgressOptions): void {
  const progress = reporter.progress(options);
  progress.onEvent(RECEIVED);
  progress.end();
}

describe("the reporter", () => {
  it("with --json prints the result as one JSON document and nothing else on stdout", () => {
    const io = bufferIo();
    const reporter = createReporter(io, true);

    reporter.say("re-emitted 1 object(s)");
    showOneEvent(reporter);
    reporter.result({ replayed: ["orders/a.csv"] }, () => "a table");
    reporter.note("note: on stderr");

    expect(JSON.parse(io.stdout.join(""))).toEqual({ replayed: ["orders/a.csv"] });
    expect(io.stderr).toEqual(["note: on stderr"]);
  });

  it("as text prints narration, one line per event off a terminal, and the result's rendering", () => {
    const io = bufferIo();
    const reporter = createReporter(io, false);

    reporter.say("ingested 1 object(s) into sluice-raw");
    showOneEvent(reporter);
    reporter.result([1, 2], (numbers) => numbers.map(String));
    reporter.result([], () => undefined);

    expect(io.stdout).toEqual([
      "ingested 1 object(s) into sluice-raw",
      "received    orders/a.csv (orders, route lambda)",
      "1\n2",
    ]);
  });

  it("keeps terminal-only progress off a pipe", () => {
    const io = bufferIo();

    showOneEvent(createReporter(io, false), { terminalOnly: true });

    expect(io.stdout).toEqual([]);
  });
});
