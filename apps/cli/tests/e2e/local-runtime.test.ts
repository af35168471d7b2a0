import { createReadStream } from "node:fs";
import { join } from "node:path";
import { buffer } from "node:stream/consumers";
import { gunzipSync } from "node:zlib";
import { stagingKeysOf } from "@sluice/core";
import { LocalObjectStore, localStateLayout, type SqsFunctionHandler } from "@sluice/local";
import { runtimeRunStatuses, samplesDir } from "../../src";
import {
  countRows,
  DRAIN_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  expectedSamples,
  journalEntries,
  SAMPLE_TABLE_ROWS,
  startRuntime,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const ORDERS_CSV =
  "order_id,customer_id,status,amount,currency,ordered_at,note\n1,7,paid,12.50,EUR,2026-01-02T10:00:00Z,\n2,8,new,3.00,USD,2026-01-03T11:00:00Z,hello\n";

describe.each(testDatabases("pipeline"))("local runtime on $kind", (database) => {
  let stateDir: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;

  beforeEach(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
    databaseUrl = await database.create(stateDir);
  });
  afterEach(async () => {
    await database.drop(databaseUrl);
    await cleanup();
  });

  it("takes every sample file where it should end: loaded, or quarantined with its reason", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl });
    try {
      const expected = expectedSamples();
      for (const key of Object.keys(expected)) {
        await runtime.ingest(key, createReadStream(join(samplesDir(), "raw", key)));
      }

      expect(await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS })).toBe(true);

      const runs = await runtimeRunStatuses(runtime);
      expect(Object.fromEntries(runs.map((run) => [run.key, run.state]))).toEqual(expected);
      expect(runs.find((r) => r.key === "ledger/2026-01-general-ledger.txt")?.route).toBe("container");
      expect(runs.find((r) => r.key === "orders/2026-04-broken-export.csv")?.reason).toBe("bad-row-ratio");
      expect(runs.find((r) => r.key === "orders/2026-03 orders with bad rows.csv")?.rows).toEqual({
        total: 20,
        staged: 18,
        rejected: 2,
      });
      for (const [table, rows] of Object.entries(SAMPLE_TABLE_ROWS))
        expect(await countRows(runtime, table)).toBe(rows);
    } finally {
      await runtime.close();
    }
  });

  it("carries a key with spaces, plus, percent and unicode through untouched", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl });
    try {
      const key = "orders/Q1 résumé+final 100% ☕/day 1+2.csv";

      const { runId } = await runtime.ingest(key, ORDERS_CSV);
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      const [run] = await runtimeRunStatuses(runtime);
      expect(run).toMatchObject({ runId, key, state: "loaded", load: { inserted: 2 } });
      const staged = [];
      const bucketsDir = localStateLayout(stateDir).bucketsDir;
      for await (const head of new LocalObjectStore({ rootDir: bucketsDir }).list(
        runtime.settings.buckets.staging,
        `staged/orders/${runId}/`,
      )) {
        staged.push(head.key);
      }
      // Rows and manifest; no row was rejected, so no rejects object.
      expect(staged.map((stagedKey) => stagedKey.slice(stagedKey.lastIndexOf("/") + 1)).sort()).toEqual([
        "manifest.json",
        "rows.csv.gz",
      ]);
      const ledger = await runtime.database.query<{ object_key: string }>(
        "SELECT object_key FROM sluice.load_ledger WHERE run_id = $1",
        [runId],
      );
      expect(ledger.rows[0]!.object_key).toBe(key);
    } finally {
      await runtime.close();
    }
  });

  it("stages rows in gzip without deflating them (level 0), and loads them", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl });
    try {
      const rows = Array.from({ length: 2000 }, (_, i) => `${i + 1},7,paid,12.50,EUR,2026-01-02T10:00:00Z,`);
      const { runId } = await runtime.ingest(
        "orders/alike.csv",
        `${ORDERS_CSV.split("\n")[0]}\n${rows.join("\n")}\n`,
      );
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      const store = new LocalObjectStore({ rootDir: localStateLayout(stateDir).bucketsDir });
      const staged = await buffer(
        await store.get(runtime.settings.buckets.staging, stagingKeysOf("orders", runId).rowsKey),
      );
      // Deflate would shrink 2,000 alike rows many times over; stored blocks are a little larger.
      expect(staged.length).toBeGreaterThan(gunzipSync(staged).length);
      expect(await countRows(runtime, "orders")).toBe(2000);
    } finally {
      await runtime.close();
    }
  });

  it("loads a duplicate delivery once and says the second changed nothing", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl });
    try {
      await runtime.ingest("orders/dup.csv", ORDERS_CSV);
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      // The same notification again, as SQS at-least-once delivery may hand it over twice.
      await runtime.replay("orders/dup.csv");
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      const loaded = (await journalEntries(stateDir)).filter((e) => e.event.type === "sluice.object.loaded");
      expect(loaded.map((e) => (e.event.data as { alreadyLoaded: boolean }).alreadyLoaded)).toEqual([
        false,
        true,
      ]);
      expect(await countRows(runtime, "orders")).toBe(2);
      const ledger = await runtime.database.query<{ attempts: number; inserted: string | number }>(
        "SELECT attempts, inserted FROM sluice.load_ledger",
      );
      expect(ledger.rows.map((r) => [Number(r.attempts), Number(r.inserted)])).toEqual([[2, 2]]);
    } finally {
      await runtime.close();
    }
  });

  it("loads once when the loader throws twice and then succeeds", async () => {
    let calls = 0;
    const flaky = (name: string, handler: SqsFunctionHandler): SqsFunctionHandler =>
      name !== "loader"
        ? handler
        : async (event, context) => {
            calls++;
            if (calls <= 2) throw new Error(`injected failure ${calls}`);
            return handler(event, context);
          };
    const runtime = await startRuntime({ stateDir, databaseUrl, wrapHandler: flaky });
    try {
      await runtime.ingest("orders/flaky.csv", ORDERS_CSV);

      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      expect(calls).toBe(3);
      const [run] = await runtimeRunStatuses(runtime);
      expect(run).toMatchObject({ state: "loaded", load: { inserted: 2, alreadyLoaded: false } });
      expect(await countRows(runtime, "orders")).toBe(2);
    } finally {
      await runtime.close();
    }
  });

  it("parks a message whose handler always throws in the DLQ, and a redrive after the fix loads it", async () => {
    let fixed = false;
    const broken = (name: string, handler: SqsFunctionHandler): SqsFunctionHandler =>
      name !== "loader"
        ? handler
        : async (event, context) => {
            if (!fixed) throw new Error("loader bug");
            return handler(event, context);
          };
    const runtime = await startRuntime({ stateDir, databaseUrl, wrapHandler: broken });
    try {
      await runtime.ingest("orders/poison.csv", ORDERS_CSV);
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
      const [parked] = await runtimeRunStatuses(runtime);
      expect(parked).toMatchObject({
        state: "dead-lettered",
        deadLetters: [{ queue: "loader-dlq", receiveCount: 3 }],
      });

      fixed = true;
      expect(await runtime.redrive("loader-dlq")).toBe(1);
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      const [run] = await runtimeRunStatuses(runtime);
      expect(run).toMatchObject({ state: "loaded", deadLetters: [], load: { inserted: 2 } });
      expect(await countRows(runtime, "orders")).toBe(2);
    } finally {
      await runtime.close();
    }
  });

  it("reports an object no contract claims as failed with reason no-dataset", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl });
    try {
      await runtime.ingest("unknown/file.bin", "x");
      await runtime.drain({ timeoutMs: DRAIN_TIMEOUT_MS });

      const [run] = await runtimeRunStatuses(runtime);
      expect(run).toMatchObject({ key: "unknown/file.bin", state: "failed", reason: "no-dataset" });
    } finally {
      await runtime.close();
    }
  });
});
