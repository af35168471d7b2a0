/**
 * Loader throughput next to raw COPY: generates N orders rows (SLUICE_BENCH_ROWS, default
 * 1,000,000) as a staged gzip CSV, then against the real Postgres at SLUICE_TEST_DATABASE_URL
 * times (1) `psql \copy` of the same uncompressed rows into an identical empty table and
 * (2) `loadStagedRun` of the staged run into an empty target, and prints rows/s and the ratio.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createLogger, DatasetRegistry, encodeCsvRow } from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { Client, Pool } from "pg";
import { createTableSql, type LoaderConfig, loadStagedRun, PgLoadTarget, splitTableName } from "../src";
import { ordersContract, stageCompressedRows } from "../tests/support/staging";

const STATUSES = ["new", "paid", "shipped", "cancelled"];

/** Orders rows as CSV; `staged` leads each with its line (`_sluice_line`), as staging writes them. */
function generateCsv(rows: number, firstKey = 1, staged = true): Buffer {
  const parts: string[] = [];
  const base = Date.UTC(2026, 0, 1);
  for (let i = firstKey; i < firstKey + rows; i++) {
    parts.push(
      encodeCsvRow([
        ...(staged ? [String(i - firstKey + 2)] : []),
        String(i),
        String(1 + (i % 50_000)),
        STATUSES[i % 4]!,
        `${(i % 100_000) / 100 + 1}`,
        "EUR",
        new Date(base + i * 1000).toISOString(),
        i % 5 === 0 ? null : `order ${i}, gift wrap`,
      ]),
    );
  }
  return Buffer.from(parts.join(""));
}

function pct(copyMs: number, loadMs: number): string {
  return `${((copyMs / loadMs) * 100).toFixed(0)}%`;
}

/** Stages `gz` as a run of `key` and times loadStagedRun of it into `table` (and a redelivery). */
async function timeLoad(
  target: PgLoadTarget,
  rows: number,
  size: number,
  gz: Buffer,
  table: string,
  key: string,
  config: Partial<LoaderConfig>,
  expectInserts = true,
): Promise<{ ms: number; redeliveryMs: number }> {
  const contract = ordersContract(table);
  const store = new MemoryObjectStore();
  store.chunkSize = 256 * 1024;
  const object = { bucket: "sluice-raw-bench", key, size, eTag: "bench" };
  const event = await stageCompressedRows(store, contract, object, gz, rows);
  const deps = {
    store,
    target,
    registry: new DatasetRegistry([contract]),
    publisher: new MemoryEventPublisher(),
    logger: createLogger("loader", { level: "ERROR" }),
    config,
  };
  // Create the table first (like the raw COPY's), so the timing measures loading, not DDL.
  await target.query(createTableSql(contract, splitTableName(contract.table, "public")));
  const started = performance.now();
  const outcome = await loadStagedRun(event, deps);
  const ms = performance.now() - started;
  const expected = expectInserts ? { inserted: rows, unchanged: 0 } : { inserted: 0, unchanged: rows };
  if (outcome.inserted !== expected.inserted || outcome.unchanged !== expected.unchanged) {
    throw new Error(`unexpected counts in ${table}: ${JSON.stringify(outcome)}`);
  }
  const again = performance.now();
  await loadStagedRun(event, deps);
  return { ms, redeliveryMs: performance.now() - again };
}

function rate(rows: number, ms: number): string {
  return `${Math.round(rows / (ms / 1000)).toLocaleString("en-US")} rows/s`;
}

async function main(): Promise<void> {
  const url = process.env.SLUICE_TEST_DATABASE_URL;
  if (!url) {
    console.log("loader bench skipped: set SLUICE_TEST_DATABASE_URL to a Postgres server to run it");
    return;
  }
  const rows = Number(process.env.SLUICE_BENCH_ROWS ?? 1_000_000);
  const database = `sluice_loader_bench_${process.pid}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${database}`;
  const dir = mkdtempSync(join(tmpdir(), "sluice-loader-bench-"));
  const target = new PgLoadTarget(new Pool({ connectionString: benchUrl.toString(), max: 2 }));
  try {
    const started = performance.now();
    const csv = generateCsv(rows, 1, false);
    const gz = gzipSync(generateCsv(rows), { level: 6 });
    const csvPath = join(dir, "rows.csv");
    writeFileSync(csvPath, csv);
    console.log(
      `generated ${rows.toLocaleString("en-US")} orders rows: ${(csv.length / 1e6).toFixed(1)} MB CSV, ${(gz.length / 1e6).toFixed(1)} MB gzip, in ${Math.round(performance.now() - started)} ms`,
    );

    // (1) raw COPY of the uncompressed rows into an identical, empty table.
    const raw = ordersContract("bench_raw_copy");
    await target.query(createTableSql(raw, splitTableName(raw.table, "public")));
    const copyStarted = performance.now();
    execFileSync("psql", [
      benchUrl.toString(),
      "-v",
      "ON_ERROR_STOP=1",
      "-q",
      "-c",
      `\\copy bench_raw_copy from '${csvPath}' (format csv)`,
    ]);
    const copyMs = performance.now() - copyStarted;

    // (2) loadStagedRun of rows staged as transform stages them: (2a) into an empty table with
    // the defaults (a direct COPY); (2b) as many new keys into that now full table (temp table +
    // plain insert, what an append takes); (2c) into an empty table forcing the upsert merge;
    // (2d) the first rows again into the full table (every row compared, none rewritten); then
    // (3) a redelivery (ledger no-op).
    const direct = await timeLoad(target, rows, csv.length, gz, "bench_orders", "orders/direct.csv", {});
    const fresh = gzipSync(generateCsv(rows, rows + 1), { level: 6 });
    const appended = await timeLoad(target, rows, csv.length, fresh, "bench_orders", "orders/append.csv", {});
    const merged = await timeLoad(target, rows, csv.length, gz, "bench_orders_merged", "orders/merged.csv", {
      directCopyIntoEmptyTable: false,
      insertNewKeysFirst: false,
    });
    const unchanged = await timeLoad(
      target,
      rows,
      csv.length,
      gz,
      "bench_orders",
      "orders/again.csv",
      {},
      false,
    );

    console.log(
      `psql \\copy (raw, uncompressed):             ${Math.round(copyMs)} ms  ${rate(rows, copyMs)}`,
    );
    console.log(
      `loadStagedRun, empty table (direct COPY):    ${Math.round(direct.ms)} ms  ${rate(rows, direct.ms)}  = ${pct(copyMs, direct.ms)} of raw COPY (aim >= 60%)`,
    );
    console.log(
      `loadStagedRun, new keys into a full table (temp + insert): ${Math.round(appended.ms)} ms  ${rate(rows, appended.ms)}  = ${pct(copyMs, appended.ms)} of raw COPY`,
    );
    console.log(
      `loadStagedRun, empty table (temp + forced upsert merge): ${Math.round(merged.ms)} ms  ${rate(rows, merged.ms)}  = ${pct(copyMs, merged.ms)} of raw COPY`,
    );
    console.log(
      `loadStagedRun, same rows again (all unchanged, merge): ${Math.round(unchanged.ms)} ms  ${rate(rows, unchanged.ms)}  = ${pct(copyMs, unchanged.ms)} of raw COPY`,
    );
    console.log(`redelivery (already loaded, no-op):          ${Math.round(direct.redeliveryMs)} ms`);
  } finally {
    await target.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
