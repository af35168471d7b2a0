import { ConfigError, QuarantineError } from "@sluice/core";
import { UnloadRefusedError } from "@sluice/loader";
import { CommanderError } from "commander";
import { CliError, EXIT, exitCodeOfError, exitCodeOfRuns, StateDirectoryInUseError } from "../../src";
import { reportFailure } from "../../src/errors";
import { bufferIo } from "../support/harness";

describe("exit codes of failures, by class", () => {
  it.each([
    ["a CliError carries its own", new CliError("no run known for x", EXIT.notFound), EXIT.notFound],
    [
      "another runtime holding the state directory is busy",
      new StateDirectoryInUseError("/s", 42),
      EXIT.busy,
    ],
    ["a core ConfigError is usage", new ConfigError("--timeout x is not a number of seconds"), EXIT.usage],
    ["asking for help is ok", new CommanderError(0, "commander.helpDisplayed", "(outputHelp)"), EXIT.ok],
    [
      "a command line commander refuses is usage",
      new CommanderError(1, "commander.unknownCommand", "x"),
      EXIT.usage,
    ],
    [
      "an unload of a run the ledger does not know is not found",
      new UnloadRefusedError("unknown-run", "no run of x in the load ledger"),
      EXIT.notFound,
    ],
    [
      "an unload of a table without lineage is refused",
      new UnloadRefusedError("no-lineage", "table public.orders has no _sluice_run_id column"),
      EXIT.refused,
    ],
    ["another Sluice error is unexpected", new QuarantineError("not-utf8", "bad bytes"), EXIT.error],
    ["any other error is unexpected", new TypeError("undefined is not a function"), EXIT.error],
    ["a thrown non-error is unexpected", "a string", EXIT.error],
  ])("%s", (_, error, code) => {
    expect(exitCodeOfError(error)).toBe(code);
  });

  it("does not read the message: a busy runtime is told by its class, whatever the words", () => {
    expect(exitCodeOfError(new ConfigError("another sluice runtime (pid 1) is using /s"))).toBe(EXIT.usage);
    expect(exitCodeOfError(new StateDirectoryInUseError("/s", 1, "the embedded database is held"))).toBe(
      EXIT.busy,
    );
  });

  it("prints an expected failure's message and an unexpected one's stack, without throwing", () => {
    const expected = bufferIo();
    const unexpected = bufferIo();
    const thrown = bufferIo();

    expect(reportFailure(new StateDirectoryInUseError("/s", 42), expected)).toBe(EXIT.busy);
    expect(reportFailure(new Error("disk on fire"), unexpected)).toBe(EXIT.error);
    expect(reportFailure(undefined, thrown)).toBe(EXIT.error);

    expect(expected.stderr).toEqual([
      "sluice: another sluice runtime (pid 42) is using /s: stop it, or pass --state-dir",
    ]);
    expect(unexpected.stderr.join("")).toMatch(/^sluice: Error: disk on fire\n\s+at /);
    expect(thrown.stderr).toEqual(["sluice: undefined"]);
  });
});

describe("exit codes of runs", () => {
  it("asks for attention when any run failed, was quarantined or is in a DLQ", () => {
    expect(exitCodeOfRuns([{ state: "loaded" }, { state: "received" }, { state: "staged" }])).toBe(EXIT.ok);
    for (const state of ["failed", "quarantined", "dead-lettered"] as const)
      expect(exitCodeOfRuns([{ state: "loaded" }, { state }])).toBe(EXIT.attention);
  });
});
