import type { FunctionConfig } from "./config";

/**
 * How the transform cuts a large object into parts staged by separate invocations (one
 * `sluice.part.requested` message each on the transform queue). Set on the transform as core's
 * `SLUICE_FANOUT_MIN_BYTES` / `SLUICE_PART_BYTES`; a dataset contract's `fanOut` overrides them.
 */
export interface FanOutConfig {
  /** Objects of at least this many bytes are split; 0 turns fan-out off in the environment. */
  minBytes: number;
  /** Bytes wanted per part: one transform invocation stages one part. */
  partBytes: number;
}

/**
 * What sizes the listener's cap on the lambda route (`SLUICE_LAMBDA_ROUTE_MAX_BYTES`): the loader
 * loads a run in one transaction in one invocation, so an object it cannot load within its
 * timeout should not be routed as if it could. cap = loader timeout × rate × share.
 */
export interface LambdaRouteConfig {
  /**
   * Bytes of raw CSV per second one loader invocation is assumed to COPY and merge into Postgres
   * (measured figures and where they come from: docs/performance.md).
   */
  assumedLoadBytesPerSecond: number;
  /** Share of the loader's timeout a load may fill (0..1]: the rest is margin for a merge, a slow day. */
  timeoutShare: number;
}

const MiB = 1024 * 1024;
const MB = 1000 * 1000;

/**
 * dev: splits from 128 MiB into 64 MiB parts, so a test file of a few hundred MB fans out end to
 * end, over the 2 concurrent transforms dev keeps (the SQS minimum, and what the local runtime mirrors).
 */
export const DEV_FAN_OUT: FanOutConfig = { minBytes: 128 * MiB, partBytes: 64 * MiB };

/**
 * prod: 128 MiB parts. Small enough that 10 GB (10^10 bytes) gives ceil(10^10 / 2^27) = 75 parts,
 * more than the 50 concurrent invocations the pipeline must reach, and each part stages in seconds
 * (~4.5 s at the ~30 MB/s per vCPU of the transform bench; the 2048 MB Lambda has ~1.16 vCPU);
 * large enough that what every invocation pays whatever its size (a cold start of 0.1-1 s, the
 * SQS hop, writing part.json, the completion check listing the parts) stays near a tenth of it.
 * Objects below 512 MiB (4 parts) stay one pass: the pre-scan reads the whole object before the
 * last part can start, at about one S3 connection's 85-90 MB/s, so a 256 MiB object split in two
 * finishes no sooner than in one pass (docs/performance.md).
 */
export const PROD_FAN_OUT: FanOutConfig = { minBytes: 512 * MiB, partBytes: 128 * MiB };

/**
 * prod transform concurrency: 80 ≥ the 75 parts of a 10 GB file, so all of them run in one wave,
 * and ≥ 50 as issue 13 asks. Lambda's SQS poller adds up to 300 concurrent invocations a minute
 * from 5, so 80 are reached within the first minute of a burst. Account quota: see README.
 */
export const PROD_TRANSFORM_CONCURRENCY = 80;

/**
 * dev: db.t4g.micro (2 burstable vCPUs, 1 GiB, gp3) is assumed to load at a quarter of what the
 * development machine's Postgres 15 takes from `psql \copy` (~33-44 MB/s), and half the loader's
 * 300 s may be used: cap = 300 s × 10 MB/s × 0.5 = 1.5 GB.
 */
export const DEV_LAMBDA_ROUTE: LambdaRouteConfig = { assumedLoadBytesPerSecond: 10 * MB, timeoutShare: 0.5 };

/**
 * prod: db.m7g.large (2 Graviton3 vCPUs, gp3 at 125 MiB/s baseline, WAL doubling the bytes
 * written) is assumed to COPY at ~40 MB/s, what `psql \copy` and the loader's append reach on one
 * core of the development machine; half the loader's 900 s may be used: cap = 900 s × 40 MB/s ×
 * 0.5 = 18 GB, above the 10 GB file the pipeline must fan out. A merge that updates every row runs
 * at ~31% of `\copy` (loader bench): a dataset whose files are mostly updates sets a lower `auto`
 * threshold in its contract.
 */
export const PROD_LAMBDA_ROUTE: LambdaRouteConfig = { assumedLoadBytesPerSecond: 40 * MB, timeoutShare: 0.5 };

/**
 * The listener's cap on the lambda route, in bytes: what one loader invocation is assumed to load
 * within its timeout (timeout × assumed rate × share), rounded down.
 */
export function lambdaRouteMaxBytesOf(config: {
  functions: { loader: Pick<FunctionConfig, "timeoutSeconds"> };
  lambdaRoute: LambdaRouteConfig;
}): number {
  const { assumedLoadBytesPerSecond, timeoutShare } = config.lambdaRoute;
  return Math.floor(config.functions.loader.timeoutSeconds * assumedLoadBytesPerSecond * timeoutShare);
}

/** The smallest part worth an invocation: below it the per-invocation costs outweigh the part's work. */
export const MIN_PART_BYTES = 1 * MiB;

/** What is wrong with the fan-out and lambda route settings of a config, as messages (none: fine). */
export function throughputProblems(config: {
  fanOut: FanOutConfig;
  lambdaRoute: LambdaRouteConfig;
  functions: { transform: FunctionConfig };
}): string[] {
  const problems: string[] = [];
  const { fanOut, lambdaRoute } = config;
  if (!Number.isSafeInteger(fanOut.minBytes) || fanOut.minBytes < 0)
    problems.push("fanOut.minBytes must be a whole number of bytes, 0 for no fan-out");
  if (!Number.isSafeInteger(fanOut.partBytes) || fanOut.partBytes < MIN_PART_BYTES)
    problems.push(`fanOut.partBytes must be a whole number of bytes, at least ${MIN_PART_BYTES}`);
  if (fanOut.minBytes > 0 && fanOut.partBytes > fanOut.minBytes)
    problems.push("fanOut.partBytes above fanOut.minBytes would split objects into one part");
  if (fanOut.minBytes > 0 && config.functions.transform.batchSize !== 1)
    problems.push("functions.transform.batchSize must be 1 with fan-out, so parts spread over invocations");
  if (!(lambdaRoute.assumedLoadBytesPerSecond > 0))
    problems.push("lambdaRoute.assumedLoadBytesPerSecond must be positive");
  if (!(lambdaRoute.timeoutShare > 0 && lambdaRoute.timeoutShare <= 1))
    problems.push("lambdaRoute.timeoutShare must be in (0, 1]");
  return problems;
}
