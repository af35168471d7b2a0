/**
 * Transform benchmark: generates an orders export of SLUICE_BENCH_MB megabytes (default 200) in
 * each input format of SLUICE_BENCH_FORMATS (default `csv,json,parquet`: CSV, a JSON array, a
 * Parquet file; see generate.ts) in a temporary directory, then transforms it, in a child
 * process so its peak RSS (the child's own maxRSS) is the transform's alone, through a
 * directory-backed object store: once with the heap flags Lambda's Node.js runtime gives a
 * function of SLUICE_BENCH_LAMBDA_MB (default 256, the bound), once with node's defaults.
 * Prints MB/s, rows/s and peak RSS of each; exits 1 when the Lambda run passes 256 MB. A CSV or
 * Parquet file is then also split into parts of SLUICE_BENCH_PART_MB (default 128, prod's part
 * size) and its middle part staged alone in a child with the Lambda's flags: what one worker
 * (a part's invocation) holds, checked against the same bound.
 *
 *   pnpm --filter @sluice/transform bench
 *   SLUICE_BENCH_MB=1024 pnpm --filter @sluice/transform bench   # the 1 GB checks
 */
import { spawnSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEvent,
  createLogger,
  type DatasetContract,
  DatasetRegistry,
  intFromEnv,
  runIdOf,
  type SluiceEvent,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { LocalObjectStore } from "@sluice/local";
import { transformObject, transformPart } from "../src";
import { BENCH_FORMATS, type BenchFormat, benchContract, generateOrders } from "./generate";

const RAW_BUCKET = "raw";
const STAGING_BUCKET = "staging";
/** The bound for a 1 GB file of any format. */
const RSS_LIMIT_MB = 256;

/**
 * The heap flags AWS Lambda's Node.js runtime gives a function of `memoryMb` (its bootstrap
 * script: new space = memory / 10, semi-space half of it, old space the rest), so the child runs
 * as the transform runs in a Lambda of that size. Node's own defaults size the heap by the
 * machine's memory (about 4 GB on this 24 GiB machine) and let garbage grow to match.
 */
function lambdaHeapFlags(memoryMb: number): string[] {
  const newSpace = Math.floor(memoryMb / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memoryMb - newSpace}`];
}
const MB = 1024 * 1024;

/** The contract `format` is read by (see generate.ts). */
function contractFor(format: BenchFormat): DatasetContract {
  return benchContract(loadRegistry().get("orders"), format);
}

function keyOf(format: BenchFormat): string {
  return `${contractFor(format).name}/bench/orders.${format}`;
}

/** The shipped registry with the bench's contract for `format` in place of its namesake. */
function registryFor(format: BenchFormat): DatasetRegistry {
  const shipped = loadRegistry();
  const contract = contractFor(format);
  return new DatasetRegistry([...shipped.all().filter((c) => c.name !== contract.name), contract]);
}

/**
 * The child: transforms the generated object and prints one JSON line of measurements. With
 * `part` `plan`, splits it and writes its `sluice.part.requested` events to `parts.json`; with a
 * part's index, stages that part alone.
 */
async function measure(root: string, format: BenchFormat, part?: string): Promise<void> {
  const registry = registryFor(format);
  const store = new LocalObjectStore({ rootDir: join(root, "buckets") });
  const key = keyOf(format);
  const head = await store.head(RAW_BUCKET, key);
  if (!head) throw new Error(`no ${key} under ${root}`);
  const object = { bucket: RAW_BUCKET, key, size: head.size, eTag: head.eTag };
  const event = createEvent("sluice.object.received", "sluice/bench", {
    runId: runIdOf(object),
    object,
    dataset: contractFor(format).name,
    contractVersion: registry.get(contractFor(format).name).version,
    route: "lambda",
  });
  const published: SluiceEvent[] = [];
  const deps = {
    registry,
    store,
    stagingBucket: STAGING_BUCKET,
    publisher: { publish: async (e: SluiceEvent) => void published.push(e) },
    logger: createLogger("transform", { level: "ERROR" }),
    fanOutFor: () => ({ minBytes: 1, partBytes: intFromEnv("SLUICE_BENCH_PART_MB", 128) * MB }),
  };
  const partsFile = join(root, `parts-${format}.json`);
  if (part === "plan") {
    const outcome = await transformObject(event, deps);
    if (outcome.status !== "split") throw new Error(`bench object was not split: ${outcome.status}`);
    const requested = published.filter((e) => e.type === "sluice.part.requested");
    await writeFile(partsFile, JSON.stringify(requested));
    console.log(JSON.stringify({ parts: requested.length }));
    return;
  }
  const started = process.hrtime.bigint();
  if (part !== undefined) {
    const requested = JSON.parse(await readFile(partsFile, "utf8")) as SluiceEvent<"sluice.part.requested">[];
    const request = requested[Number(part)]!;
    const outcome = await transformPart(request, deps);
    if (outcome?.status !== "staged") throw new Error(`bench part was not staged: ${outcome?.status}`);
    const { manifest } = outcome;
    console.log(
      JSON.stringify({
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        inputBytes: manifest.part.end - manifest.part.start,
        counts: { ...manifest.counts, rows: manifest.counts.staged + manifest.counts.rejected },
        stagedBytes: manifest.rowsBytes,
        peakRssBytes: process.resourceUsage().maxRSS * 1024,
      }),
    );
    return;
  }
  const outcome = await transformObject(event, { ...deps, fanOutFor: undefined });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (outcome.status !== "staged")
    throw new Error(`bench object was not staged in one pass: ${outcome.status}`);
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

interface Measurement {
  seconds: number;
  inputBytes: number;
  counts: { rows: number; staged: number; rejected: number };
  stagedBytes: number;
  peakRssBytes: number;
}

/** Generates one format's file, transforms it in a child process, prints the numbers; false when over the RSS limit. */
async function benchFormat(root: string, format: BenchFormat, sizeMb: number): Promise<boolean> {
  const path = join(root, `orders.${format}`);
  const generating = Date.now();
  await generateOrders(format, path, sizeMb * MB);
  const size = (await stat(path)).size;
  await new LocalObjectStore({ rootDir: join(root, "buckets") }).put(
    RAW_BUCKET,
    keyOf(format),
    createReadStream(path),
  );
  await rm(path);
  console.log(
    `generated ${(size / MB).toFixed(0)} MB orders ${format} in ${((Date.now() - generating) / 1000).toFixed(1)} s`,
  );

  const lambdaMb = intFromEnv("SLUICE_BENCH_LAMBDA_MB", RSS_LIMIT_MB);
  const lambda = runChild(root, format, lambdaHeapFlags(lambdaMb));
  const defaults = runChild(root, format, []);
  const line = (label: string, result: Measurement) => {
    const peakMb = result.peakRssBytes / MB;
    return (
      `  ${label}: ${result.seconds.toFixed(1)} s, ${(result.inputBytes / MB / result.seconds).toFixed(1)} MB/s, ` +
      `${Math.round(result.counts.rows / result.seconds).toLocaleString("en-US")} rows/s, peak RSS ${peakMb.toFixed(0)} MB`
    );
  };
  const lambdaPeakMb = lambda.peakRssBytes / MB;
  const onePart = format === "json" ? undefined : measurePart(root, format, lambdaHeapFlags(lambdaMb));
  console.log(
    [
      `transform: ${(lambda.inputBytes / MB).toFixed(0)} MB ${format}, ${lambda.counts.rows} rows ` +
        `(${lambda.counts.rejected} rejected), ${(lambda.stagedBytes / MB).toFixed(1)} MB staged gzip`,
      line(`as a ${lambdaMb} MB Lambda runs it (${lambdaHeapFlags(lambdaMb).join(" ")})`, lambda),
      line("node's default heap limits", defaults),
      ...(onePart
        ? [
            line(
              `part ${onePart.index + 1} of ${onePart.parts} (a worker) as a ${lambdaMb} MB Lambda stages it`,
              onePart.result,
            ),
          ]
        : []),
      `  limit ${RSS_LIMIT_MB} MB in the Lambda: ${lambdaPeakMb < RSS_LIMIT_MB ? "OK" : "OVER"}`,
    ].join("\n"),
  );
  return lambdaPeakMb < RSS_LIMIT_MB && (onePart?.result.peakRssBytes ?? 0) / MB < RSS_LIMIT_MB;
}

/** Splits the stored object (in a child), then stages its middle part alone in a child with `flags`. */
function measurePart(root: string, format: BenchFormat, flags: string[]) {
  const { parts } = runChild<{ parts: number }>(root, format, [], "plan");
  const index = Math.floor(parts / 2);
  return { parts, index, result: runChild(root, format, flags, String(index)) };
}

/**
 * Transforms the stored object (or a `part`, see {@link measure}) in a child process with `flags`;
 * returns the JSON line it printed: a {@link Measurement}, or the plan's `{ parts }`.
 */
function runChild<T = Measurement>(root: string, format: BenchFormat, flags: string[], part?: string): T {
  // tsx registers itself through execArgv, so the child runs this same TypeScript file.
  const child = spawnSync(
    process.execPath,
    [
      ...flags,
      ...process.execArgv,
      __filename,
      "--measure",
      root,
      format,
      ...(part === undefined ? [] : [part]),
    ],
    {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  if (child.status !== 0) throw new Error(`transform child exited with ${child.status}`);
  return JSON.parse(child.stdout.trim().split("\n").at(-1)!) as T;
}

async function main(): Promise<void> {
  const sizeMb = intFromEnv("SLUICE_BENCH_MB", 200);
  const formats = (process.env.SLUICE_BENCH_FORMATS ?? BENCH_FORMATS.join(",")).split(",") as BenchFormat[];
  const unknown = formats.filter((format) => !BENCH_FORMATS.includes(format));
  if (unknown.length > 0) throw new Error(`SLUICE_BENCH_FORMATS: unknown ${unknown.join(", ")}`);
  const root = await mkdtemp(join(tmpdir(), "sluice-transform-bench-"));
  try {
    for (const format of formats) if (!(await benchFormat(root, format, sizeMb))) process.exitCode = 1;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--measure") {
  measure(process.argv[3]!, process.argv[4] as BenchFormat, process.argv[5]).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
