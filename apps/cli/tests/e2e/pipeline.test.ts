import { createReadStream } from "node:fs";
import { join } from "node:path";
import type { SqsFunctionHandler } from "@sluice/local";
import { samplesDir } from "../../src";
import {
  countRows,
  expectedSamples,
  SAMPLE_TABLE_ROWS,
  startPipeline,
  statuses,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(120_000);

const ORDERS_CSV =
  "order_id,customer_id,status,amount,currency,ordered_at,note\n1,7,paid,12.50,EUR,2026-01-02T10:00:00Z,\n2,8,new,3.00,USD,2026-01-03T11:00:00Z,hello\n";

describe.each(testDatabases("pipeline"))("local pipeline on $kind", (database) => {
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
    const pipeline = await startPipeline({ stateDir, databaseUrl });
    try {
      const expected = expectedSamples();
      for (const key of Object.keys(expected)) {
        await pipeline.ingest(key, createReadStream(join(samplesDir(), "raw", key)));
      }

      expect(await pipeline.drain({ timeoutMs: 60_000 })).toBe(true);

      const runs = await statuses(pipeline);
      expect(Object.fromEntries(runs.map((run) => [run.key, run.state]))).toEqual(expected);
      expect(runs.find((r) => r.key === "ledger/2026-01-general-ledger.txt")?.route).toBe("container");
      expect(runs.find((r) => r.key === "orders/2026-04-broken-export.csv")?.reason).toBe("bad-row-ratio");
      expect(runs.find((r) => r.key === "orders/2026-03 orders with bad rows.csv")?.rows).toEqual({
        total: 20,
        staged: 18,
        rejected: 2,
      });
      for (const [table, rows] of Object.entries(SAMPLE_TABLE_ROWS))
        expect(await countRows(pipeline, table)).toBe(rows);
    } finally {
      await pipeline.close();
    }
  });

  it("carries a key with spaces, plus, percent and unicode through untouched", async () => {
    const pipeline = await startPipeline({ stateDir, databaseUrl });
    try {
      const key = "orders/Q1 résumé+final 100% ☕/day 1+2.csv";

      const { runId } = await pipeline.ingest(key, ORDERS_CSV);
      await pipeline.drain({ timeoutMs: 30_000 });

      const [run] = await statuses(pipeline);
      expect(run).toMatchObject({ runId, key, state: "loaded", load: { inserted: 2 } });
      const staged = [];
      for await (const head of pipeline.store.list(
        pipeline.settings.buckets.staging,
        `staged/orders/${runId}/`,
      )) {
        staged.push(head.key);
      }
      expect(staged).toHaveLength(3);
      const ledger = await pipeline.target.query<{ object_key: string }>(
        "SELECT object_key FROM sluice.load_ledger WHERE run_id = $1",
        [runId],
      );
      expect(ledger.rows[0]!.object_key).toBe(key);
    } finally {
      await pipeline.close();
    }
  });

  it("loads a duplicate delivery once and says the second changed nothing", async () => {
    const pipeline = await startPipeline({ stateDir, databaseUrl });
    try {
      await pipeline.ingest("orders/dup.csv", ORDERS_CSV);
      await pipeline.drain({ timeoutMs: 30_000 });

      // The same notification again, as SQS at-least-once delivery may hand it over twice.
      await pipeline.replay("orders/dup.csv");
      await pipeline.drain({ timeoutMs: 30_000 });

      const loaded = (await pipeline.journal.readAll()).filter(
        (e) => e.event.type === "sluice.object.loaded",
      );
      expect(loaded.map((e) => (e.event.data as { alreadyLoaded: boolean }).alreadyLoaded)).toEqual([
        false,
        true,
      ]);
      expect(await countRows(pipeline, "orders")).toBe(2);
      const ledger = await pipeline.target.query<{ attempts: number; inserted: string | number }>(
        "SELECT attempts, inserted FROM sluice.load_ledger",
      );
      expect(ledger.rows.map((r) => [Number(r.attempts), Number(r.inserted)])).toEqual([[2, 2]]);
    } finally {
      await pipeline.close();
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
    const pipeline = await startPipeline({ stateDir, databaseUrl, wrapHandler: flaky });
    try {
      await pipeline.ingest("orders/flaky.csv", ORDERS_CSV);

      await pipeline.drain({ timeoutMs: 30_000 });

      expect(calls).toBe(3);
      const [run] = await statuses(pipeline);
      expect(run).toMatchObject({ state: "loaded", load: { inserted: 2, alreadyLoaded: false } });
      expect(await countRows(pipeline, "orders")).toBe(2);
    } finally {
      await pipeline.close();
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
    const pipeline = await startPipeline({ stateDir, databaseUrl, wrapHandler: broken });
    try {
      await pipeline.ingest("orders/poison.csv", ORDERS_CSV);
      await pipeline.drain({ timeoutMs: 30_000 });
      const [parked] = await statuses(pipeline);
      expect(parked).toMatchObject({
        state: "dead-lettered",
        deadLetters: [{ queue: "loader-dlq", receiveCount: 3 }],
      });

      fixed = true;
      expect(await pipeline.bus.redrive("loader-dlq")).toBe(1);
      await pipeline.drain({ timeoutMs: 30_000 });

      const [run] = await statuses(pipeline);
      expect(run).toMatchObject({ state: "loaded", deadLetters: [], load: { inserted: 2 } });
      expect(await countRows(pipeline, "orders")).toBe(2);
    } finally {
      await pipeline.close();
    }
  });

  it("reports an object no contract claims as failed with reason no-dataset", async () => {
    const pipeline = await startPipeline({ stateDir, databaseUrl });
    try {
      await pipeline.ingest("unknown/file.bin", "x");
      await pipeline.drain({ timeoutMs: 30_000 });

      const [run] = await statuses(pipeline);
      expect(run).toMatchObject({ key: "unknown/file.bin", state: "failed", reason: "no-dataset" });
    } finally {
      await pipeline.close();
    }
  });
});
