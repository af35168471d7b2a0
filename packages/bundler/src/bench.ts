import { spawn } from "node:child_process";
import {
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, relative } from "node:path";
import { pipeline } from "node:stream/promises";
import { pathToFileURL } from "node:url";
import { ENV } from "@sluice/core";
import yauzl from "yauzl";
import { formatKb } from "./bundle";

/** The size budget of one Lambda bundle (zip), from the project's goals. */
export const BUNDLE_BUDGET_BYTES = 250 * 1024;

/** Fresh node processes per bundle; the median is reported. */
export const DEFAULT_RUNS = 7;

/** What {@link benchBundle} measured for one zip. */
export interface BundleBench {
  zip: string;
  zipBytes: number;
  /** Size of `index.mjs` inside the zip (uncompressed). */
  moduleBytes: number;
  /** Milliseconds to `import()` the handler module in a fresh process, one per run. */
  importMs: number[];
  medianMs: number;
  /** stderr of the first failed import, when one failed. */
  error?: string;
}

/** Extracts `zipPath` into `dir` (created), refusing entries that would escape it. */
export async function extractZip(zipPath: string, dir: string): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(zipPath, { lazyEntries: true }, (error, file) =>
      error || !file ? reject(error) : resolve(file),
    ),
  );
  await new Promise<void>((resolve, reject) => {
    zip.on("error", reject);
    zip.on("end", resolve);
    zip.on("entry", (entry: yauzl.Entry) => {
      const target = join(dir, entry.fileName);
      if (relative(dir, target).startsWith(".."))
        return reject(new Error(`zip entry ${entry.fileName} escapes`));
      if (entry.fileName.endsWith("/")) {
        mkdirSync(target, { recursive: true });
        return zip.readEntry();
      }
      mkdirSync(dirname(target), { recursive: true });
      zip.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error);
        pipeline(stream, createWriteStream(target)).then(() => zip.readEntry(), reject);
      });
    });
    zip.readEntry();
  });
}

/**
 * Placeholder values for every variable in core's `ENV`, so a handler that reads its
 * configuration at module scope (as handlers do) can be imported without AWS. Nothing here is
 * contacted: importing builds clients but sends no request.
 */
export function placeholderEnv(): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "bench",
    AWS_SECRET_ACCESS_KEY: "bench",
    // Lambda runs node22; the SDK warns on the node20 this may be measured with.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    POWERTOOLS_LOG_LEVEL: "ERROR",
  };
  for (const name of Object.values(ENV)) env[name] = "bench-placeholder";
  Object.assign(env, {
    [ENV.eventsTopicArn]: "arn:aws:sns:us-east-1:000000000000:sluice-bench-events",
    [ENV.rawBucket]: "sluice-bench-raw",
    [ENV.stagingBucket]: "sluice-bench-staging",
    [ENV.databaseUrl]: "postgres://bench@127.0.0.1:9/bench",
    [ENV.databaseSecretArn]: "arn:aws:secretsmanager:us-east-1:000000000000:secret:bench",
    [ENV.databasePort]: "5432",
    [ENV.ecsClusterArn]: "arn:aws:ecs:us-east-1:000000000000:cluster/bench",
    [ENV.ecsTaskDefinitionArn]: "arn:aws:ecs:us-east-1:000000000000:task-definition/bench:1",
    [ENV.ecsSubnets]: "subnet-00000000",
    [ENV.ecsSecurityGroups]: "sg-00000000",
    // Numbers, as the stack gives them: a handler that reads one at module scope refuses a word.
    [ENV.maxReceiveCount]: "5",
    [ENV.fanOutMinBytes]: String(256 * 1024 * 1024),
    [ENV.partBytes]: String(128 * 1024 * 1024),
    [ENV.lambdaRouteMaxBytes]: String(2 * 1024 * 1024 * 1024),
    [ENV.taskMaxAttempts]: "3",
  });
  // The handler must find the contracts the zip carries, not a configured folder; a task's own
  // variables (its event, its attempt) are the container's, never a function's.
  delete env[ENV.contractsDir];
  delete env[ENV.taskEvent];
  delete env[ENV.taskAttempt];
  return env;
}

/** Milliseconds one fresh `node` process takes to import `file` (an ES module). */
export function coldImportMs(file: string, env: Record<string, string>): Promise<number> {
  const script = [
    "const started = process.hrtime.bigint();",
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "process.stdout.write(String(Number(process.hrtime.bigint() - started) / 1e6));",
  ].join(" ");
  const { PATH, HOME } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd: dirname(file),
      env: { PATH: PATH ?? "", HOME: HOME ?? "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => {
      out += chunk;
    });
    child.stderr.on("data", (chunk) => {
      err += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(out);
      if (code === 0 && Number.isFinite(ms)) resolve(ms);
      else reject(new Error(err.trim() || `node exited ${code}`));
    });
  });
}

/** The median of `values` (not empty). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Measures one Lambda zip as Lambda would run it: extracted to an empty folder outside the
 * repository (so nothing resolves from node_modules), then `index.mjs` imported in `runs`
 * fresh node processes, one after another.
 */
export async function benchBundle(zip: string, runs = DEFAULT_RUNS): Promise<BundleBench> {
  const dir = mkdtempSync(join(tmpdir(), "sluice-bench-"));
  try {
    await extractZip(zip, dir);
    const file = join(dir, "index.mjs");
    const result: BundleBench = {
      zip,
      zipBytes: statSync(zip).size,
      moduleBytes: existsSync(file) ? statSync(file).size : 0,
      importMs: [],
      medianMs: Number.NaN,
    };
    const env = placeholderEnv();
    for (let run = 0; run < runs; run++) {
      try {
        result.importMs.push(await coldImportMs(file, env));
      } catch (error) {
        result.error = (error as Error).message.split("\n").slice(0, 6).join("\n");
        break;
      }
    }
    if (result.importMs.length > 0) result.medianMs = median(result.importMs);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Every `*.zip` directly inside each of `dirs`, sorted. */
export function zipsIn(dirs: string[]): string[] {
  return dirs
    .filter((dir) => existsSync(dir))
    .flatMap((dir) =>
      readdirSync(dir)
        .filter((name) => name.endsWith(".zip"))
        .map((name) => join(dir, name)),
    )
    .sort();
}

/** Prints one line per bundle and a verdict against {@link BUNDLE_BUDGET_BYTES}; resolves with an exit code. */
export async function reportBundles(
  zips: string[],
  options: { runs?: number; root?: string; out?: (line: string) => void } = {},
): Promise<number> {
  const out = options.out ?? console.log;
  const runs = options.runs ?? DEFAULT_RUNS;
  if (zips.length === 0) {
    out("no bundle zips found: build first (pnpm build)");
    return 0;
  }
  out(
    `bundle                                       zip         index.mjs    cold import (median of ${runs}, min-max)`,
  );
  let failed = false;
  for (const zip of zips) {
    const bench = await benchBundle(zip, runs);
    const name = options.root ? relative(options.root, zip) : basename(zip);
    const budget = bench.zipBytes <= BUNDLE_BUDGET_BYTES ? "" : `  OVER ${formatKb(BUNDLE_BUDGET_BYTES)}`;
    const timing = bench.error
      ? "import FAILED"
      : `${bench.medianMs.toFixed(1)} ms (${Math.min(...bench.importMs).toFixed(1)}-${Math.max(...bench.importMs).toFixed(1)})`;
    out(
      `${name.padEnd(44)} ${formatKb(bench.zipBytes).padStart(10)}  ${formatKb(bench.moduleBytes).padStart(10)}   ${timing}${budget}`,
    );
    if (bench.error) {
      failed = true;
      out(`  ${bench.error.replace(/\n/g, "\n  ")}`);
    }
  }
  return failed ? 1 : 0;
}

/** `sluice-bundle-bench [dir…] [--runs N]`: benches the zips in each dir (default `dist`). */
export async function benchMain(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  const dirs: string[] = [];
  let runs = DEFAULT_RUNS;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--runs") runs = Number(argv[++i]);
    else dirs.push(argv[i]!);
  }
  if (!Number.isInteger(runs) || runs < 1) {
    out("sluice-bundle-bench: --runs must be a positive integer");
    return 2;
  }
  return reportBundles(zipsIn(dirs.length > 0 ? dirs : ["dist"]), { runs, root: process.cwd(), out });
}
