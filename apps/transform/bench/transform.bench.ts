/**
 * Transform benchmark: generates an orders CSV of SLUICE_BENCH_MB megabytes (default 200) in a
 * temporary directory, then transforms it, in a child process so its peak RSS is the transform's
 * alone, through a directory-backed object store. Prints MB/s, rows/s and peak RSS.
 *
 *   pnpm --filter @sluice/transform bench
 *   SLUICE_BENCH_MB=1024 pnpm --filter @sluice/transform bench
 */
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, createLogger, intFromEnv, runIdOf } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { LocalObjectStore } from "@sluice/local";
import { transformObject } from "../src";

const RAW_BUCKET = "raw";
const STAGING_BUCKET = "staging";
const KEY = "orders/bench/orders.csv";
/** The bound for a 1 GB CSV. */
const RSS_LIMIT_MB = 256;
const MB = 1024 * 1024;

const STATUSES = ["new", "paid", "shipped", "cancelled"];
const NOTES = ["", "", "gift", '"fragile, handle with care"', '"two\nlines"', "leave at door"];

/** Writes an orders CSV of about `bytes` bytes; one row in 1000 is invalid. Returns the row count. */
async function generateCsv(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path, { highWaterMark: MB });
  let written = 0;
  let rows = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  await write("order_id,customer_id,status,amount,currency,ordered_at,note\n");
  while (written < bytes) {
    let chunk = "";
    for (let i = 0; i < 1000; i++) {
      rows++;
      const status = rows % 1000 === 0 ? "lost" : STATUSES[rows % 4];
      const day = String((rows % 28) + 1).padStart(2, "0");
      const amount = `${rows % 100000}.${String(rows % 100).padStart(2, "0")}`;
      chunk += `${rows},${((rows * 7919) % 1000003) + 1},${status},${amount},EUR,2026-11-${day}T10:${String(rows % 60).padStart(2, "0")}:00Z,${NOTES[rows % NOTES.length]}\n`;
    }
    await write(chunk);
  }
  out.end();
  await once(out, "finish");
  return rows;
}

/** The child: transforms the generated object and prints one JSON line of measurements. */
async function measure(root: string): Promise<void> {
  const registry = loadRegistry();
  const store = new LocalObjectStore({ rootDir: join(root, "buckets") });
  const head = await store.head(RAW_BUCKET, KEY);
  if (!head) throw new Error(`no ${KEY} under ${root}`);
  const object = { bucket: RAW_BUCKET, key: KEY, size: head.size, eTag: head.eTag };
  const event = createEvent("sluice.object.received", "sluice/bench", {
    runId: runIdOf(object),
    object,
    dataset: "orders",
    contractVersion: registry.get("orders").version,
    route: "lambda",
  });
  const published: string[] = [];
  const started = process.hrtime.bigint();
  const outcome = await transformObject(event, {
    registry,
    store,
    stagingBucket: STAGING_BUCKET,
    publisher: { publish: async (e) => void published.push(e.type) },
    logger: createLogger("transform", { level: "ERROR" }),
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcome.status !== "staged") throw new Error(`bench object was quarantined: ${outcome.reason}`);
  const staged = await store.head(STAGING_BUCKET, outcome.keys.rowsKey);
  console.log(
    JSON.stringify({
      seconds,
      inputBytes: head.size,
      counts: outcome.manifest.counts,
      stagedBytes: staged?.size ?? 0,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    }),
  );
}

async function main(): Promise<void> {
  const sizeMb = intFromEnv("SLUICE_BENCH_MB", 200);
  const root = await mkdtemp(join(tmpdir(), "sluice-transform-bench-"));
  try {
    const path = join(root, "orders.csv");
    const generating = Date.now();
    await generateCsv(path, sizeMb * MB);
    const size = (await stat(path)).size;
    await new LocalObjectStore({ rootDir: join(root, "buckets") }).put(
      RAW_BUCKET,
      KEY,
      createReadStream(path),
    );
    await rm(path);
    console.log(
      `generated ${(size / MB).toFixed(0)} MB orders CSV in ${((Date.now() - generating) / 1000).toFixed(1)} s`,
    );

    // tsx registers itself through execArgv, so the child runs this same TypeScript file.
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, "--measure", root], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (child.status !== 0) throw new Error(`transform child exited with ${child.status}`);
    const result = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
      seconds: number;
      inputBytes: number;
      counts: { rows: number; staged: number; rejected: number };
      stagedBytes: number;
      peakRssBytes: number;
    };
    const peakMb = result.peakRssBytes / MB;
    console.log(
      [
        `transform: ${(result.inputBytes / MB).toFixed(0)} MB CSV, ${result.counts.rows} rows ` +
          `(${result.counts.rejected} rejected) in ${result.seconds.toFixed(1)} s`,
        `  throughput: ${(result.inputBytes / MB / result.seconds).toFixed(1)} MB/s, ` +
          `${Math.round(result.counts.rows / result.seconds).toLocaleString("en-US")} rows/s`,
        `  staged rows: ${(result.stagedBytes / MB).toFixed(1)} MB gzip`,
        `  peak RSS: ${peakMb.toFixed(0)} MB (limit ${RSS_LIMIT_MB} MB) ${peakMb < RSS_LIMIT_MB ? "OK" : "OVER"}`,
      ].join("\n"),
    );
    if (peakMb >= RSS_LIMIT_MB) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--measure") {
  measure(process.argv[3]!).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
