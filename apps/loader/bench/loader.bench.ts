/**
 * Loader throughput next to raw COPY, against the real Postgres at SLUICE_TEST_DATABASE_URL.
 * Rows are generated as transform stages them (gzip CSV, `_sluice_line` first); each loader
 * figure is printed beside `psql \copy` of the same uncompressed rows into an identical empty
 * table, timed in the same run (with `sluice.run_id` set in its session, so the lineage column
 * is filled as in a load and both write the same rows):
 *
 * - append of SLUICE_BENCH_APPEND_ROWS (default 3,000,000) rows into a table without a key, the
 *   best of SLUICE_BENCH_REPEAT (default 2) alternating runs of each;
 * - merge with `orderBy` updating SLUICE_BENCH_ROWS (default 1,000,000) existing rows, and the
 *   merge paths of earlier benches (direct COPY into an empty table, new keys, forced upsert,
 *   all unchanged);
 * - replace of a SLUICE_BENCH_ROWS-row snapshot (`replaceBy` delete, the default, and truncate);
 * - SLUICE_BENCH_SMALL_RUNS (default 200) runs of SLUICE_BENCH_SMALL_ROWS (default 2,000) rows
 *   loaded one after another into one keyed table, beside one psql session `\copy`-ing the files.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import {
  columnsOf,
  createLogger,
  type DatasetContract,
  DatasetRegistry,
  encodeCsvRow,
  STAGED_LINE_COLUMN,
} from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { Client, Pool } from "pg";
import {
  createTableSql,
  type LoaderConfig,
  type LoadOutcome,
  loadStagedRun,
  PgLoadTarget,
  RUN_ID_SETTING,
  splitTableName,
} from "../src";
import { ordersContract, stageCompressedRows } from "../tests/support/staging";

const STATUSES = ["new", "paid", "shipped", "cancelled"];
const DAY_MS = 86_400_000;

/** Staged orders rows (`_sluice_line` first) for keys firstKey…, `shiftMs` later and another status when shifted. */
function generateCsv(rows: number, firstKey = 1, shiftMs = 0): Buffer {
  const parts: string[] = [];
  const base = Date.UTC(2026, 0, 1) + shiftMs;
  const turn = shiftMs === 0 ? 0 : 1;
  for (let i = firstKey; i < firstKey + rows; i++) {
    parts.push(
      encodeCsvRow([
        String(i - firstKey + 2),
        String(i),
        String(1 + (i % 50_000)),
        STATUSES[(i + turn) % 4]!,
        `${(i % 100_000) / 100 + 1}`,
        "EUR",
        new Date(base + i * 1000).toISOString(),
        i % 5 === 0 ? null : `order ${i}, gift wrap`,
      ]),
    );
  }
  return Buffer.from(parts.join(""));
}

interface Bench {
  target: PgLoadTarget;
  url: string;
  dir: string;
}

/** Rows staged for the bench: the uncompressed CSV on disk (for `\copy`) and its gzip (for the loader). */
interface StagedFile {
  path: string;
  gz: Buffer;
  bytes: number;
  rows: number;
}

/**
 * Generates rows (see {@link generateCsv}) into a file and its gzip. Only the gzip stays in
 * memory, so the timings are not disturbed by collecting a 255 MB string's garbage.
 */
function stagedFile(bench: Bench, name: string, rows: number, firstKey = 1, shiftMs = 0): StagedFile {
  const csv = generateCsv(rows, firstKey, shiftMs);
  const path = join(bench.dir, `${name}.csv`);
  writeFileSync(path, csv);
  return { path, gz: gzipSync(csv, { level: 6 }), bytes: csv.length, rows };
}

/** Times one `psql` session's `\copy` of each file, one after another, into a fresh empty table shaped like `contract`'s. */
async function rawCopy(
  bench: Bench,
  contract: DatasetContract,
  files: StagedFile[],
  name: string,
): Promise<number> {
  await bench.target.query(createTableSql(contract, splitTableName(name, "public")));
  const lineColumn = contract.load.lineage ? STAGED_LINE_COLUMN : "_raw_line";
  if (!contract.load.lineage) await bench.target.query(`ALTER TABLE ${name} ADD COLUMN ${lineColumn} bigint`);
  const columns = [lineColumn, ...columnsOf(contract)].join(", ");
  // The session's run id makes the lineage default fill the column as in a load: the same rows land.
  const env = { ...process.env, PGOPTIONS: `-c ${RUN_ID_SETTING}=r-${"0".repeat(32)}` };
  const script = join(bench.dir, `${name}.sql`);
  const copies = files.map((file) => `\\copy ${name} (${columns}) from '${file.path}' (format csv)`);
  writeFileSync(script, `${copies.join("\n")}\n`);
  const started = performance.now();
  execFileSync("psql", [bench.url, "-v", "ON_ERROR_STOP=1", "-q", "-f", script], { env });
  return performance.now() - started;
}

/**
 * The loader's dependencies over `store`, with the contract's table created first (like the raw
 * COPY's), so the timing measures loading, not DDL.
 */
async function loaderWithTable(
  bench: Bench,
  store: MemoryObjectStore,
  contract: DatasetContract,
  config: Partial<LoaderConfig> = {},
) {
  await bench.target.query(createTableSql(contract, splitTableName(contract.table, "public")));
  return {
    store,
    target: bench.target,
    registry: new DatasetRegistry([contract]),
    publisher: new MemoryEventPublisher(),
    logger: createLogger("loader", { level: "ERROR" }),
    config,
  };
}

/** Stages the file as the run of `key` and times loadStagedRun of it (and of a redelivery). */
async function timeLoad(
  bench: Bench,
  contract: DatasetContract,
  file: StagedFile,
  key: string,
  config: Partial<LoaderConfig> = {},
): Promise<{ ms: number; redeliveryMs: number; outcome: LoadOutcome }> {
  const store = new MemoryObjectStore();
  store.chunkSize = 256 * 1024;
  const object = { bucket: "sluice-raw-bench", key, size: file.bytes, eTag: "bench" };
  const event = await stageCompressedRows(store, contract, object, file.gz, file.rows);
  const deps = await loaderWithTable(bench, store, contract, config);
  const started = performance.now();
  const outcome = await loadStagedRun(event, deps);
  const ms = performance.now() - started;
  const again = performance.now();
  await loadStagedRun(event, deps);
  return { ms, redeliveryMs: performance.now() - again, outcome };
}

function expectCounts(what: string, outcome: LoadOutcome, expected: Partial<LoadOutcome>): void {
  for (const [name, value] of Object.entries(expected)) {
    if (outcome[name as keyof LoadOutcome] !== value) {
      throw new Error(`${what}: expected ${name} ${value}, got ${JSON.stringify(outcome)}`);
    }
  }
}

function line(label: string, rows: number, ms: number, copyMs?: number): string {
  const rate = `${Math.round(rows / (ms / 1000)).toLocaleString("en-US")} rows/s`;
  const ratio = copyMs === undefined ? "" : `  = ${((copyMs / ms) * 100).toFixed(0)}% of \\copy`;
  return `${label.padEnd(62)} ${String(Math.round(ms)).padStart(6)} ms  ${rate.padStart(16)}${ratio}`;
}

async function appendBench(bench: Bench, rows: number, repeat: number): Promise<string[]> {
  const file = stagedFile(bench, "append", rows);
  let copyMs = Number.POSITIVE_INFINITY;
  let loadMs = Number.POSITIVE_INFINITY;
  let redeliveryMs = Number.POSITIVE_INFINITY;
  // Alternating runs, the best of each: other processes on the machine slow one run or the other.
  for (let run = 1; run <= repeat; run++) {
    const raw = ordersContract(`bench_append_raw_${run}`, {
      primaryKey: undefined,
      load: { mode: "append" },
    });
    copyMs = Math.min(copyMs, await rawCopy(bench, raw, [file], raw.table));
    const contract = ordersContract(`bench_append_${run}`, {
      primaryKey: undefined,
      load: { mode: "append" },
    });
    const load = await timeLoad(bench, contract, file, `orders/append-${run}.csv`);
    expectCounts("append", load.outcome, { inserted: rows });
    loadMs = Math.min(loadMs, load.ms);
    redeliveryMs = Math.min(redeliveryMs, load.redeliveryMs);
  }
  const mb = (file.bytes / 1e6).toFixed(0);
  return [
    `append, ${rows.toLocaleString("en-US")} rows (${mb} MB CSV), table without a key, lineage on (best of ${repeat}):`,
    line("  psql \\copy (uncompressed)", rows, copyMs),
    line("  loader append (COPY into the table, run id by default)", rows, loadMs, copyMs),
    line("  redelivery (ledger no-op)", rows, redeliveryMs),
  ];
}

async function mergeBench(bench: Bench, rows: number): Promise<string[]> {
  const file = stagedFile(bench, "merge", rows);
  const plain = ordersContract("bench_merge");
  const copyMs = await rawCopy(bench, plain, [file], "bench_merge_raw");
  const direct = await timeLoad(bench, plain, file, "orders/direct.csv");
  expectCounts("direct copy", direct.outcome, { inserted: rows });
  const appended = await timeLoad(
    bench,
    plain,
    stagedFile(bench, "new-keys", rows, rows + 1),
    "orders/new-keys.csv",
  );
  expectCounts("new keys", appended.outcome, { inserted: rows });
  const unchanged = await timeLoad(bench, plain, file, "orders/again.csv");
  expectCounts("unchanged", unchanged.outcome, { unchanged: rows });
  const forced = await timeLoad(bench, ordersContract("bench_merge_forced"), file, "orders/forced.csv", {
    directCopyIntoEmptyTable: false,
    insertNewKeysFirst: false,
  });
  expectCounts("forced merge", forced.outcome, { inserted: rows });

  const ordered = ordersContract("bench_merge_ordered", { load: { orderBy: "ordered_at" } });
  await timeLoad(bench, ordered, file, "orders/ordered-1.csv");
  const later = stagedFile(bench, "later", rows, 1, DAY_MS);
  const newer = await timeLoad(bench, ordered, later, "orders/ordered-2.csv");
  expectCounts("orderBy merge", newer.outcome, { updated: rows });
  return [
    `merge, ${rows.toLocaleString("en-US")} orders rows (key order_id):`,
    line("  psql \\copy (uncompressed, into a keyed table)", rows, copyMs),
    line("  merge with orderBy, updating every existing row", rows, newer.ms, copyMs),
    line("  empty table (direct COPY, line numbers cut off)", rows, direct.ms, copyMs),
    line("  new keys into the full table (temp table + plain insert)", rows, appended.ms, copyMs),
    line("  empty table, forced temp table + upsert merge", rows, forced.ms, copyMs),
    line("  same rows again into the full table (all unchanged)", rows, unchanged.ms, copyMs),
  ];
}

async function replaceBench(bench: Bench, rows: number): Promise<string[]> {
  const first = stagedFile(bench, "snapshot-1", rows);
  const snapshot = stagedFile(bench, "snapshot-2", rows, 1, DAY_MS);
  const lines = [
    `replace, a ${rows.toLocaleString("en-US")}-row snapshot over ${rows.toLocaleString("en-US")} rows (no key, lineage on):`,
  ];
  const contract = ordersContract("bench_replace", { primaryKey: undefined, load: { mode: "replace" } });
  const copyMs = await rawCopy(bench, contract, [snapshot], "bench_replace_raw");
  lines.push(line("  psql \\copy (uncompressed, into an empty table)", rows, copyMs));
  for (const replaceBy of ["delete", "truncate"] as const) {
    const table = `bench_replace_${replaceBy}`;
    const shaped = ordersContract(table, { primaryKey: undefined, load: { mode: "replace" } });
    await timeLoad(bench, shaped, first, `orders/${table}-1.csv`, { replaceBy });
    const load = await timeLoad(bench, shaped, snapshot, `orders/${table}-2.csv`, { replaceBy });
    expectCounts(`replace by ${replaceBy}`, load.outcome, { inserted: rows, deleted: rows });
    lines.push(line(`  loader replace, replaceBy ${replaceBy}`, rows, load.ms, copyMs));
  }
  return lines;
}

/**
 * Many small runs loaded one after another into one keyed table that exists (the direct COPY of
 * a small object): what each load costs beyond its rows — its statements and their round trips
 * (issue 13's small files) — next to one `psql` session `\copy`-ing the same files.
 */
async function smallRunsBench(bench: Bench, runs: number, rowsPerRun: number): Promise<string[]> {
  const files = Array.from({ length: runs }, (_, i) =>
    stagedFile(bench, `small-${i}`, rowsPerRun, i * rowsPerRun + 1),
  );
  const copyMs = await rawCopy(bench, ordersContract("bench_small"), files, "bench_small_raw");
  const contract = ordersContract("bench_small_runs");
  const store = new MemoryObjectStore();
  const events = await Promise.all(
    files.map((file, i) => {
      const object = {
        bucket: "sluice-raw-bench",
        key: `orders/small-${i}.csv`,
        size: file.bytes,
        eTag: `s${i}`,
      };
      return stageCompressedRows(store, contract, object, file.gz, file.rows);
    }),
  );
  const deps = await loaderWithTable(bench, store, contract);
  const started = performance.now();
  for (const event of events)
    expectCounts("small run", await loadStagedRun(event, deps), { inserted: rowsPerRun });
  const loadMs = performance.now() - started;
  const again = performance.now();
  for (const event of events) await loadStagedRun(event, deps);
  const redeliveryMs = performance.now() - again;
  const rows = runs * rowsPerRun;
  const perRun = (ms: number) => `  (${(ms / runs).toFixed(1)} ms a run)`;
  return [
    `${runs} small runs of ${rowsPerRun.toLocaleString("en-US")} orders rows, one after another into one keyed table:`,
    line("  one psql session, one \\copy per file", rows, copyMs) + perRun(copyMs),
    line("  loader, one run after another (direct COPY)", rows, loadMs, copyMs) + perRun(loadMs),
    line("  redeliveries (ledger no-ops)", rows, redeliveryMs) + perRun(redeliveryMs),
  ];
}

async function main(): Promise<void> {
  const url = process.env.SLUICE_TEST_DATABASE_URL;
  if (!url) {
    console.log("loader bench skipped: set SLUICE_TEST_DATABASE_URL to a Postgres server to run it");
    return;
  }
  const rows = Number(process.env.SLUICE_BENCH_ROWS ?? 1_000_000);
  const appendRows = Number(process.env.SLUICE_BENCH_APPEND_ROWS ?? 3_000_000);
  const repeat = Number(process.env.SLUICE_BENCH_REPEAT ?? 2);
  const smallRuns = Number(process.env.SLUICE_BENCH_SMALL_RUNS ?? 200);
  const smallRows = Number(process.env.SLUICE_BENCH_SMALL_ROWS ?? 2000);
  const database = `sluice_loader_bench_${process.pid}`;
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const benchUrl = new URL(url);
  benchUrl.pathname = `/${database}`;
  const bench: Bench = {
    target: new PgLoadTarget(new Pool({ connectionString: benchUrl.toString(), max: 2 })),
    url: benchUrl.toString(),
    dir: mkdtempSync(join(tmpdir(), "sluice-loader-bench-")),
  };
  try {
    // SLUICE_BENCH_ONLY=append|merge|replace|small runs one section (e.g. to repeat it on a busy machine).
    const only = process.env.SLUICE_BENCH_ONLY;
    const report: string[] = [];
    if (!only || only === "append") report.push(...(await appendBench(bench, appendRows, repeat)));
    if (!only || only === "merge") report.push(...(await mergeBench(bench, rows)));
    if (!only || only === "replace") report.push(...(await replaceBench(bench, rows)));
    if (!only || only === "small") report.push(...(await smallRunsBench(bench, smallRuns, smallRows)));
    console.log(report.join("\n"));
  } finally {
    await bench.target.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
    rmSync(bench.dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
