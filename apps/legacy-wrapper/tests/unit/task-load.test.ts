import { tmpdir } from "node:os";
import {
  ConfigError,
  createEvent,
  type LoadTarget,
  runIdOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import type { LoadOutcome } from "@sluice/loader/load";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { stageStream } from "@sluice/staging";
import { DEFAULT_LEGACY_WRAPPER_CONFIG } from "../../src/config";
import { EXIT_CODES, exitCodeOf } from "../../src/exit-codes";
import { type LoadFunction, loadStagedOutput, taskLoadsFromEnv } from "../../src/task-load";
import { silentLogger } from "../support/memory";

/** Never used: the load functions below are fakes. */
const target = {} as LoadTarget;

function staged(): SluiceEvent<"sluice.object.staged"> {
  const object = { bucket: "raw", key: "ledger/big.dat", size: 10, eTag: "abc" };
  const runId = runIdOf(object);
  const keys = stagingKeysOf("ledger", runId);
  return createEvent("sluice.object.staged", "sluice/legacy-wrapper", {
    runId,
    object,
    dataset: "ledger",
    contractVersion: 1,
    route: "container",
    staged: { bucket: "staging", ...keys },
    counts: { rows: 1, staged: 1, rejected: 0 },
  });
}

function deps(signal?: AbortSignal) {
  return {
    store: new MemoryObjectStore(),
    publisher: new MemoryEventPublisher(),
    registry: loadRegistry(),
    stagingBucket: "staging",
    stage: stageStream,
    logger: silentLogger(),
    config: { ...DEFAULT_LEGACY_WRAPPER_CONFIG, killGraceMs: 50, workDir: tmpdir(), programDir: "/p" },
    ...(signal ? { signal } : {}),
  };
}

describe("taskLoadsFromEnv", () => {
  it("loads with the loader's database variables and only stages without them", () => {
    expect(taskLoadsFromEnv({})).toBe(false);
    expect(taskLoadsFromEnv({ DATABASE_URL: "postgres://db:5432/sluice" })).toBe(true);
    expect(taskLoadsFromEnv({ SLUICE_DATABASE_SECRET_ARN: "arn:aws:secretsmanager:x:1:secret:db" })).toBe(
      true,
    );
  });

  it("refuses an embedded PGlite database, which only the runtime's process may open", () => {
    expect(() => taskLoadsFromEnv({ DATABASE_URL: "/state/pglite" })).toThrow(ConfigError);
  });
});

describe("loadStagedOutput", () => {
  it("gives the loader the task's ports and source, and ends loaded", async () => {
    const job = deps();
    const calls: Parameters<LoadFunction>[] = [];
    const load: LoadFunction = async (...args) => {
      calls.push(args);
      return { status: "loaded" } as LoadOutcome;
    };

    const outcome = await loadStagedOutput(staged(), { load, target }, job);

    expect(outcome).toEqual({ status: "loaded" });
    expect(exitCodeOf(outcome)).toBe(EXIT_CODES.done);
    expect(calls[0]![1]).toMatchObject({ target, store: job.store, source: "sluice/legacy-wrapper" });
  });

  it("fails the run as stopped (retryable) when the task is stopped and the load outlasts the grace", async () => {
    const stopping = new AbortController();
    const job = deps(stopping.signal);
    const load: LoadFunction = () => new Promise(() => undefined);

    const pending = loadStagedOutput(staged(), { load, target }, job);
    stopping.abort();
    const outcome = await pending;

    expect(outcome).toMatchObject({ status: "failed", reason: "stopped", retryable: true });
    expect(exitCodeOf(outcome)).toBe(EXIT_CODES.retryable);
    expect(job.publisher.events).toMatchObject([
      { type: "sluice.object.failed", data: { phase: "legacy-wrapper", reason: "stopped", retryable: true } },
    ]);
  });
});
