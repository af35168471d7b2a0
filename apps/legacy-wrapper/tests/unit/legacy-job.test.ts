import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import {
  contractFingerprint,
  createEvent,
  type DatasetRegistry,
  RetryableError,
  routeFor,
  runIdOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { stageStream } from "@sluice/staging";
import { DEFAULT_LEGACY_WRAPPER_CONFIG, type LegacyWrapperConfig, parseCommand } from "../../src/config";
import { columnsSpecOf, legacyArgvFor } from "../../src/legacy-command";
import { runLegacyJob } from "../../src/legacy-job";
import type { StageFunction } from "../../src/staging";
import { silentLogger } from "../support/memory";
import { ledgerRecord } from "../support/task-process";

const registry: DatasetRegistry = loadRegistry();
const ledger = registry.get("ledger");
const orders = registry.get("orders");
const programDir = join(__dirname, "..", "..", "..", "..", "docker", "legacy-wrapper", "legacy");
const config: LegacyWrapperConfig = { ...DEFAULT_LEGACY_WRAPPER_CONFIG, workDir: tmpdir(), programDir };

function setup(stage: StageFunction = stageStream) {
  const store = new MemoryObjectStore();
  const publisher = new MemoryEventPublisher();
  const deps = {
    store,
    publisher,
    registry,
    stagingBucket: "staging",
    stage,
    logger: silentLogger(),
    config,
  };
  const receive = async (key: string, body: Buffer | string, dataset = "ledger") => {
    const put = await store.put("raw", key, body);
    const object = { bucket: "raw", key, size: Buffer.byteLength(body), eTag: put.eTag };
    return createEvent("sluice.object.received", "sluice/listener", {
      runId: runIdOf(object),
      object,
      dataset,
      contractVersion: 1,
      route: "container",
    });
  };
  return { store, publisher, deps, receive };
}

const twoRecords = `${[
  ledgerRecord(1, "00000001", "2026-11-01", "10.00", "first"),
  ledgerRecord(2, "00000002", "2026-11-02", "-3.50", "second, with comma"),
].join("\r\n")}\r\n`;

describe("legacyArgvFor", () => {
  const paths = { input: "/work/run/input", output: "/work/run/output.csv" };

  it("runs the shipped Perl program for a fixed-width contract, driven by its column layout", () => {
    const argv = legacyArgvFor(ledger, { programDir: "/app/legacy" }, paths);

    expect(argv).toEqual([
      "perl",
      "-CSD",
      "/app/legacy/fixed-width-to-csv.pl",
      "--columns=entry_id:0:10,account:10:8,posted_on:18:10,amount:28:12,memo:40:30",
      "--output=/work/run/output.csv",
      "/work/run/input",
    ]);
  });

  it("runs no program for a format the pipeline reads itself, unless one is configured", () => {
    expect(legacyArgvFor(orders, { programDir: "/app/legacy" }, paths)).toBeUndefined();
    expect(
      legacyArgvFor(orders, { programDir: "/p", command: ["convert", "{input}", "{output}"] }, paths),
    ).toEqual(["convert", "/work/run/input", "/work/run/output.csv"]);
  });

  it("refuses a {columns} command for a contract without a fixed-width layout", () => {
    expect(() =>
      legacyArgvFor(orders, { programDir: "/p", command: ["awk", "-v", "c={columns}"] }, paths),
    ).toThrow(/not fixed-width/);
    expect(columnsSpecOf(orders)).toBeUndefined();
  });
});

describe("parseCommand", () => {
  it("accepts a JSON array of argv strings and rejects a shell string", () => {
    expect(parseCommand('["awk","-f","x.awk","{input}"]')).toEqual(["awk", "-f", "x.awk", "{input}"]);
    expect(() => parseCommand("awk -f x.awk {input}")).toThrow(/SLUICE_LEGACY_COMMAND/);
    expect(() => parseCommand("[]")).toThrow(/non-empty/);
  });
});

describe("runLegacyJob", () => {
  it("converts a gzip fixed-width object with the shipped program and stages it as transform would", async () => {
    const { store, publisher, deps, receive } = setup();
    const event = await receive("ledger/2026/11/gl.dat.gz", gzipSync(twoRecords));

    const outcome = await runLegacyJob(event, deps);

    expect(outcome.status).toBe("staged");
    expect(publisher.types()).toEqual(["sluice.object.staged"]);
    const keys = stagingKeysOf("ledger", event.data.runId);
    const rows = gunzipSync(store.bytes("staging", keys.rowsKey)!).toString();
    // Each row's line is the raw file's, which the program writes beside each record.
    expect(rows).toBe(
      '1,1,00000001,2026-11-01,10.00,first\n2,2,00000002,2026-11-02,-3.50,"second, with comma"\n',
    );
    const manifest = JSON.parse(store.bytes("staging", keys.manifestKey)!.toString());
    expect(manifest.producer).toBe("legacy-wrapper");
    expect(manifest.contractHash).toBe(contractFingerprint(ledger));
  });

  it("quarantines a gzip object that expands past the decompression ratio before writing it out", async () => {
    const { store, publisher, deps, receive } = setup();
    // 80 MiB of zeros gzip to ~80 KB: about 1000:1, past the 200:1 limit once 64 MiB are out.
    const event = await receive("ledger/2026/11/bomb.dat.gz", gzipSync(Buffer.alloc(80 * 1024 * 1024)));

    const outcome = await runLegacyJob(event, deps);

    expect(outcome).toEqual({ status: "quarantined" });
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.quarantined",
      data: {
        reason: "decompression-limit",
        message: expect.stringMatching(/bomb\.dat\.gz.*maxDecompressionRatio/),
      },
    });
    expect(store.keys("staging")).toEqual([]);
  });

  it("stages an object in a format the pipeline reads itself without running a program", async () => {
    const { publisher, deps, receive } = setup();
    const csv =
      "order_id,customer_id,status,amount,currency,ordered_at,note\n1,7,paid,12.50,EUR,2026-11-01T10:00:00Z,\n";
    const event = await receive("orders/big-export.csv", csv, "orders");

    const outcome = await runLegacyJob(event, deps);

    expect(outcome).toEqual({ status: "staged", staged: publisher.events[0] });
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.staged",
      source: "sluice/legacy-wrapper",
      data: { counts: { rows: 1, staged: 1, rejected: 0 } },
    });
  });

  it("fails for good, staging nothing, when the object is gone", async () => {
    const { store, publisher, deps, receive } = setup();
    const event = await receive("ledger/gone.dat", twoRecords);
    store.clear();

    const outcome = await runLegacyJob(event, deps);

    expect(outcome).toMatchObject({ status: "failed", reason: "object-unreadable", retryable: false });
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.failed",
      data: { reason: "object-unreadable" },
    });
    expect(store.keys("staging")).toEqual([]);
  });

  it("fails for good when no contract names the event's dataset", async () => {
    const { publisher, deps, receive } = setup();
    const event = await receive("ledger/x.dat", twoRecords, "unknown_dataset");

    const outcome = await runLegacyJob(event, deps);

    expect(outcome).toMatchObject({ status: "failed", reason: "no-contract", retryable: false });
    expect(publisher.types()).toEqual(["sluice.object.failed"]);
  });

  it("marks a run retryable when staging fails transiently", async () => {
    const failingStage: StageFunction = async () => {
      throw new RetryableError("aws-retryable", "S3 SlowDown");
    };
    const { publisher, deps, receive } = setup(failingStage);
    const event = await receive("ledger/slow.dat", twoRecords);

    const outcome = await runLegacyJob(event, deps);

    expect(outcome).toMatchObject({ status: "failed", reason: "staging-failed", retryable: true });
    const failed = publisher.events[0] as SluiceEvent<"sluice.object.failed">;
    expect(failed.data).toMatchObject({ retryable: true, exitCode: 0 });
  });

  it("fails the run as retryable when the task is stopped before the program runs", async () => {
    const stopping = new AbortController();
    stopping.abort();
    const { deps, receive } = setup();
    const event = await receive("ledger/stop.dat", twoRecords);

    const outcome = await runLegacyJob(event, { ...deps, signal: stopping.signal });

    expect(outcome).toMatchObject({ status: "failed", reason: "stopped", retryable: true });
  });
});

describe("routing", () => {
  it("sends an auto contract's object above its threshold to the container route", () => {
    const threshold = (orders.route as { auto: { thresholdBytes: number } }).auto.thresholdBytes;

    expect(routeFor(orders, threshold + 1)).toBe("container");
    expect(routeFor(orders, threshold)).toBe("lambda");
    expect(routeFor(ledger, 10)).toBe("container");
  });
});
