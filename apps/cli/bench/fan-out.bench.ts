/**
 * Fan-out bench: issue 13's ten-column orders CSV, quoted notes with commas and line breaks
 * (`writeWideOrdersCsv`, SLUICE_BENCH_MB, default 1024), through
 * the local pipeline into Postgres, timed from the upload to the `sluice.object.loaded` event:
 * in one pass (no fan-out), then fanned out over 1 and 2 worker threads; beside them, in the same
 * run, `psql \copy` of the same file into a table of the same shape. Prints each time, the
 * speed-up of 2 workers over 1 and over one pass, each run's share of `\copy`, the peak RSS of
 * the process (main thread, workers and the loader together), and the CPU each run took: the node
 * process's and, when the server runs on this machine, Postgres's (`serverCpuSeconds`). `\copy` is timed before and after
 * the pipeline runs (the file synced first) and the faster is the reference. Then staging alone, 1 and 2
 * workers: the loader's early start is left out (its `sluice.object.split` acked unread), so the
 * parts have the cores to themselves and the run loads on its `sluice.object.staged` afterwards;
 * the time from `received` to `staged` is what the workers scale.
 *
 * SLUICE_BENCH_CURVE=1 adds the curve behind the fan-out default (docs/performance.md): sizes
 * (SLUICE_BENCH_CURVE_MB, default 16,32,64,128,256) × {one pass, 2 workers}.
 *
 * Needs SLUICE_TEST_DATABASE_URL (a Postgres server) and psql.
 */
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, open, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEvent, unwrapSqsBody } from "@sluice/core";
import type { SqsFunctionHandler } from "@sluice/local";
import type { SQSEvent } from "aws-lambda";
import { wideOrdersContract, writeWideOrdersCsv } from "../../transform/bench/generate";
import { startLocalRuntime } from "../src";
import { eventTimes, serverCpuSeconds, withDatabase } from "./bench-support";

const MIB = 1024 * 1024;
const TARGET_MB = Number(process.env.SLUICE_BENCH_MB ?? 1024);
const PART_BYTES = Number(process.env.SLUICE_PART_BYTES ?? 32 * MIB);
const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;

function psqlCopy(databaseUrl: string, csv: string): number {
  const psql = (command: string) =>
    execFileSync("psql", [databaseUrl, "-v", "ON_ERROR_STOP=1", "-q", "-c", command]);
  psql(
    "CREATE TABLE wide_orders (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount numeric(18,2) NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, shipped_on date, quantity bigint NOT NULL, express boolean NOT NULL, note varchar(500))",
  );
  const started = performance.now();
  psql(`\\copy wide_orders FROM '${csv.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`);
  return (performance.now() - started) / 1000;
}

/** fsync of `path`: its pages written back before anything is timed. */
async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** What one pipeline run took. */
interface PipelineRun {
  seconds: number;
  peakRssMb: number;
  parts: number;
  phases: string;
  /** From `sluice.object.received` to `sluice.object.staged`. */
  stagingSeconds: number;
  /** CPU seconds of the run: this process (user + system, its worker threads too) and the Postgres server. */
  cpu: string;
}

/** True for an SQS record carrying a `sluice.object.split` event (raw or SNS-wrapped). */
function isSplit(record: SQSEvent["Records"][number]): boolean {
  return parseEvent(unwrapSqsBody(record.body)).type === "sluice.object.split";
}

/** The loader without its early start: `sluice.object.split` records are acked unread. */
function withoutEarlyStart(name: string, handler: SqsFunctionHandler): SqsFunctionHandler {
  if (name !== "loader") return handler;
  return (event, context) => {
    const records = (event as SQSEvent).Records.filter((record) => !isSplit(record));
    return records.length === 0 ? { batchItemFailures: [] } : handler({ Records: records }, context);
  };
}

async function throughPipeline(
  contractsDir: string,
  stateDir: string,
  databaseUrl: string,
  csv: string,
  fanOut: { minBytes: number; partBytes: number; workers: number },
  earlyStart = true,
): Promise<PipelineRun> {
  const runtime = await startLocalRuntime({
    stateDir,
    databaseUrl,
    contractsDir,
    settings: { pollIntervalMs: 20, fanOut },
    ...(earlyStart ? {} : { wrapHandler: withoutEarlyStart }),
  });
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 50);
  const serverBefore = await serverCpuSeconds(serverUrl!);
  const nodeBefore = process.cpuUsage();
  let run: Omit<PipelineRun, "cpu">;
  try {
    const started = performance.now();
    await runtime.ingestFile("wide_orders/bench.csv", csv);
    if (!(await runtime.drain({ timeoutMs: 60 * 60_000, pollMs: 20 })))
      throw new Error("pipeline did not drain");
    const seconds = (performance.now() - started) / 1000;
    const { entries, at } = await eventTimes(stateDir);
    const received = at("sluice.object.received");
    const staged = at("sluice.object.staged");
    const loaded = at("sluice.object.loaded");
    const wall = started + performance.timeOrigin;
    const parts = entries.filter((e) => e.event.type === "sluice.part.staged").length;
    const phases = `upload+listener ${((received - wall) / 1000).toFixed(1)} s, staged at ${((staged - wall) / 1000).toFixed(1)} s, loaded at ${((loaded - wall) / 1000).toFixed(1)} s`;
    run = {
      seconds,
      peakRssMb: Math.round(peak / MIB),
      parts,
      phases,
      stagingSeconds: (staged - received) / 1000,
    };
  } finally {
    clearInterval(sampler);
    await runtime.close();
  }
  const node = process.cpuUsage(nodeBefore);
  const serverAfter = await serverCpuSeconds(serverUrl!);
  const server =
    serverBefore === undefined || serverAfter === undefined
      ? ""
      : `, Postgres ${(serverAfter - serverBefore).toFixed(1)} s`;
  return { ...run, cpu: `CPU: node ${((node.user + node.system) / 1e6).toFixed(1)} s${server}` };
}

const NEVER = { minBytes: Number.MAX_SAFE_INTEGER, partBytes: PART_BYTES, workers: 1 };
const fanned = (workers: number) => ({ minBytes: 1, partBytes: PART_BYTES, workers });

async function main(): Promise<void> {
  if (!serverUrl)
    throw new Error("SLUICE_TEST_DATABASE_URL is not set: the fan-out bench needs Postgres and psql");
  const work = await mkdtemp(join(tmpdir(), "sluice-fanout-bench-"));
  try {
    const contractsDir = join(work, "contracts");
    await mkdir(contractsDir);
    await writeFile(join(contractsDir, "wide_orders.json"), JSON.stringify(wideOrdersContract()));
    const csv = join(work, "wide_orders.csv");
    const { rows } = await writeWideOrdersCsv(csv, TARGET_MB * MIB);
    const mb = (await stat(csv)).size / MIB;
    console.log(
      `fan-out bench: ${rows.toLocaleString("en")} rows, ${mb.toFixed(0)} MB CSV with quoted line breaks, parts of ${PART_BYTES / MIB} MiB`,
    );
    // The file's writeback must not land in the reference's time: it is synced first, and `\copy`
    // is timed before and after the pipeline runs; the faster of the two is the reference (the
    // same `\copy` moved between 37 and 58 s in one day's runs on this machine).
    await syncFile(csv);
    const copyServerCpu: string[] = [];
    const timeCopy = () =>
      withDatabase(serverUrl!, `sluice_bench_fo_copy_${process.pid}`, async (url) => {
        const before = await serverCpuSeconds(serverUrl!);
        const seconds = psqlCopy(url, csv);
        const after = await serverCpuSeconds(serverUrl!);
        if (before !== undefined && after !== undefined)
          copyServerCpu.push(`${(after - before).toFixed(1)} s`);
        return seconds;
      });
    const copies = [await timeCopy()];
    const results = new Map<string, PipelineRun>();
    for (const [label, fanOut] of [
      ["sluice, one pass", NEVER],
      ["sluice, fan-out, 1 worker", fanned(1)],
      ["sluice, fan-out, 2 workers", fanned(2)],
    ] as const) {
      const run = await withDatabase(serverUrl!, `sluice_bench_fo_${process.pid}`, (url) =>
        throughPipeline(contractsDir, join(work, `state-${results.size}`), url, csv, fanOut),
      );
      results.set(label, run);
    }
    copies.push(await timeCopy());
    const copy = Math.min(...copies);
    console.log(
      `  ${"psql \\copy".padEnd(26)} ${copy.toFixed(2).padStart(7)} s  ${(mb / copy).toFixed(1).padStart(6)} MB/s  (the faster of ${copies.map((s) => `${s.toFixed(2)} s`).join(" before and ")} after the runs${copyServerCpu.length ? `; Postgres CPU ${copyServerCpu.join(" and ")}` : ""})`,
    );
    for (const [label, run] of results)
      console.log(
        `  ${label.padEnd(26)} ${run.seconds.toFixed(2).padStart(7)} s  ${(mb / run.seconds).toFixed(1).padStart(6)} MB/s  ${((copy / run.seconds) * 100).toFixed(0).padStart(3)}% of \\copy  peak RSS ${run.peakRssMb} MB  ${run.parts} parts  (${run.phases}; ${run.cpu})`,
      );
    const time = (label: string) => results.get(label)!.seconds;
    console.log(
      `  2 workers vs 1: ${(time("sluice, fan-out, 1 worker") / time("sluice, fan-out, 2 workers")).toFixed(2)}x (aim 1.6x); vs one pass: ${(time("sluice, one pass") / time("sluice, fan-out, 2 workers")).toFixed(2)}x; end to end ${((copy / time("sluice, fan-out, 2 workers")) * 100).toFixed(0)}% of \\copy (aim 70%)`,
    );
    await stagingAlone(work, contractsDir, csv, mb);
    if (process.env.SLUICE_BENCH_CURVE === "1") await curve(work, contractsDir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Staging alone (no early start loading beside it), 1 and 2 workers: what the workers scale. */
async function stagingAlone(work: string, contractsDir: string, csv: string, mb: number): Promise<void> {
  const seconds: number[] = [];
  for (const workers of [1, 2]) {
    const run = await withDatabase(serverUrl!, `sluice_bench_fo_alone_${process.pid}`, (url) =>
      throughPipeline(contractsDir, join(work, `alone-state-${workers}`), url, csv, fanned(workers), false),
    );
    seconds.push(run.stagingSeconds);
    console.log(
      `  staging alone, ${workers} worker${workers > 1 ? "s" : " "}   ${run.stagingSeconds.toFixed(2).padStart(7)} s  ${(mb / run.stagingSeconds).toFixed(1).padStart(6)} MB/s  (then loaded: ${run.seconds.toFixed(2)} s in all; ${run.cpu})`,
    );
  }
  console.log(`  staging alone, 2 workers vs 1: ${(seconds[0]! / seconds[1]!).toFixed(2)}x`);
}

/** File size × {one pass, 2 workers} → seconds: where fan-out starts to pay (docs/performance.md). */
async function curve(work: string, contractsDir: string): Promise<void> {
  const sizes = (process.env.SLUICE_BENCH_CURVE_MB ?? "16,32,64,128,256").split(",").map(Number);
  console.log("  curve: MB, one pass s, 2 workers s, speed-up");
  for (const size of sizes) {
    const csv = join(work, `curve-${size}.csv`);
    await writeWideOrdersCsv(csv, size * MIB);
    const seconds: number[] = [];
    for (const fanOut of [
      NEVER,
      { minBytes: 1, partBytes: Math.min(PART_BYTES, (size * MIB) / 4), workers: 2 },
    ]) {
      const run = await withDatabase(serverUrl!, `sluice_bench_fo_curve_${process.pid}`, (url) =>
        throughPipeline(contractsDir, join(work, `curve-state-${size}-${seconds.length}`), url, csv, fanOut),
      );
      seconds.push(run.seconds);
    }
    console.log(
      `  ${size}, ${seconds[0]!.toFixed(2)}, ${seconds[1]!.toFixed(2)}, ${(seconds[0]! / seconds[1]!).toFixed(2)}x`,
    );
    await rm(csv, { force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
