import { createEvent } from "@sluice/core";
import { createReporter } from "../../src";
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

describe("the reporter", () => {
  it("with --json prints the result as one JSON document and nothing else on stdout", () => {
    const io = bufferIo();
    const reporter = createReporter(io, true);

    reporter.say("re-emitted 1 object(s)");
    const progress = reporter.progress();
    progress.onEvent(RECEIVED);
    progress.end();
    reporter.result({ replayed: ["orders/a.csv"] }, () => "a table");
    reporter.note("note: on stderr");

    expect(JSON.parse(io.stdout.join(""))).toEqual({ replayed: ["orders/a.csv"] });
    expect(io.stderr).toEqual(["note: on stderr"]);
  });

  it("as text prints narration, one line per event off a terminal, and the result's rendering", () => {
    const io = bufferIo();
    const reporter = createReporter(io, false);

    reporter.say("ingested 1 object(s) into sluice-raw");
    const progress = reporter.progress();
    progress.onEvent(RECEIVED);
    progress.end();
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

    const progress = createReporter(io, false).progress({ terminalOnly: true });
    progress.onEvent(RECEIVED);
    progress.end();

    expect(io.stdout).toEqual([]);
  });
});
