/**
 * End-to-end bench: a generated orders CSV (~SLUICE_BENCH_MB MB, default 200) goes through the
 * whole local pipeline (raw bucket → listener → transform → loader → Postgres), timed from the
 * upload to the `sluice.object.loaded` event; beside it, `psql \copy` of the same file into a
 * table of the same shape, in the same run, on the same server.
 *
 * Needs SLUICE_TEST_DATABASE_URL for the Postgres figures; without it only PGlite is measured.
 */
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startLocalRuntime } from "../src";
import { dropDatabase, eventTimes, freshDatabase } from "./bench-support";

const TARGET_MB = Number(process.env.SLUICE_BENCH_MB ?? 200);
const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;
const STATUSES = ["new", "paid", "shipped", "cancelled"];

async function generateCsv(path: string, targetBytes: number): Promise<number> {
  const out = createWriteStream(path);
  out.write("order_id,customer_id,status,amount,currency,ordered_at,note\n");
  let bytes = 0;
  let rows = 0;
  let chunk = "";
  while (bytes < targetBytes) {
    rows++;
    const line = `${rows},${((rows * 7919) % 100_000) + 1},${STATUSES[rows % 4]},${(rows % 100_000) / 100},EUR,2026-01-${String((rows % 28) + 1).padStart(2, "0")}T10:${String(rows % 60).padStart(2, "0")}:00Z,${rows % 10 === 0 ? '"note, with comma"' : ""}\n`;
    chunk += line;
    bytes += line.length;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, "drain");
      chunk = "";
    }
  }
  out.end(chunk);
  await once(out, "finish");
  return rows;
}

async function throughPipeline(stateDir: string, databaseUrl: string, csv: string): Promise<number> {
  const runtime = await startLocalRuntime({ stateDir, databaseUrl, settings: { pollIntervalMs: 20 } });
  try {
    const started = performance.now();
    await runtime.ingestFile("orders/bench.csv", csv);
    if (!(await runtime.drain({ timeoutMs: 30 * 60_000, pollMs: 20 })))
      throw new Error("pipeline did not drain");
    const seconds = (performance.now() - started) / 1000;
    const { at } = await eventTimes(stateDir);
    const received = at("sluice.object.received");
    const staged = at("sluice.object.staged");
    const loaded = at("sluice.object.loaded");
    const wall = started + performance.timeOrigin;
    console.log(
      `    upload + listener ${((received - wall) / 1000).toFixed(2)} s · transform ${((staged - received) / 1000).toFixed(2)} s · loader ${((loaded - staged) / 1000).toFixed(2)} s`,
    );
    return seconds;
  } finally {
    await runtime.close();
  }
}

function psqlCopy(databaseUrl: string, csv: string): number {
  execFileSync("psql", [
    databaseUrl,
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
    "CREATE TABLE orders_copy (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount numeric NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, note text)",
  ]);
  const started = performance.now();
  execFileSync("psql", [
    databaseUrl,
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
    `\\copy orders_copy FROM '${csv.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`,
  ]);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), "sluice-e2e-bench-"));
  try {
    const csv = join(work, "orders.csv");
    const rows = await generateCsv(csv, TARGET_MB * 1024 * 1024);
    const mb = (await stat(csv)).size / (1024 * 1024);
    console.log(`end-to-end bench: ${rows.toLocaleString("en")} rows, ${mb.toFixed(1)} MB CSV`);
    const report = (label: string, seconds: number, extra = "") =>
      console.log(
        `  ${label.padEnd(34)} ${seconds.toFixed(2).padStart(7)} s  ${Math.round(rows / seconds)
          .toLocaleString("en")
          .padStart(10)} rows/s  ${(mb / seconds).toFixed(1).padStart(6)} MB/s${extra}`,
      );
    if (serverUrl) {
      const database = `sluice_bench_e2e_${process.pid}`;
      const url = await freshDatabase(serverUrl!, database);
      try {
        const copySeconds = psqlCopy(url, csv);
        report("psql \\copy (raw COPY)", copySeconds);
        const pipelineSeconds = await throughPipeline(join(work, "state-pg"), url, csv);
        report(
          "sluice file -> Postgres",
          pipelineSeconds,
          `  (${((copySeconds / pipelineSeconds) * 100).toFixed(0)}% of raw COPY; aim 40%)`,
        );
      } finally {
        await dropDatabase(serverUrl!, database);
      }
    } else {
      console.log("  SLUICE_TEST_DATABASE_URL is not set: no Postgres or psql \\copy figures");
    }
    const pgliteSeconds = await throughPipeline(join(work, "state-pglite"), join(work, "pglite"), csv);
    report("sluice file -> PGlite (embedded)", pgliteSeconds);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
