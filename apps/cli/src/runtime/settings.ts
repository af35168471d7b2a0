import { availableParallelism } from "node:os";
import { DEFAULT_TASK_MAX_ATTEMPTS, ENV, intFromEnv } from "@sluice/core";
import type { FunctionSettings } from "@sluice/local";
import { gzipLevelFromEnv } from "@sluice/staging";

/** The functions of the pipeline, as the infrastructure names them. */
export const FUNCTION_NAMES = ["listener", "transform", "launcher", "loader"] as const;

/** One of {@link FUNCTION_NAMES}. */
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** How the local pipeline is wired and tuned. Every field has a default in {@link DEFAULT_PIPELINE_SETTINGS}. */
export interface LocalPipelineSettings {
  buckets: { raw: string; staging: string };
  topicName: string;
  queues: {
    /** Receives before a message goes to its DLQ (the infrastructure's `maxReceiveCount`). */
    maxReceiveCount: number;
    /** A queue's visibility timeout is this many times its function's timeout (AWS's advice: 6). */
    visibilityTimeoutMultiplier: number;
    /**
     * The infrastructure subscribes queues with raw message delivery; the consumers read both
     * forms (core's `unwrapSqsBody`).
     */
    rawMessageDelivery: boolean;
  };
  /**
   * Per function: batch size, timeout, reserved concurrency, memory, and the local retry backoff
   * (`retryDelayMs` after a failed receive, doubling per receive up to `maxRetryDelayMs`).
   */
  functions: Record<FunctionName, FunctionSettings>;
  /** How often idle pollers look at their queue again. */
  pollIntervalMs: number;
  /** How often events published by tasks (the outbox) are relayed onto the bus. */
  outboxPollMs: number;
  /** Grace between SIGTERM and SIGKILL when the runtime stops a task (ECS `stopTimeout`). */
  taskStopTimeoutMs: number;
  /**
   * Tasks a run gets: a task killed from outside, or ending with exit 75, is started again (after
   * the launcher's retry backoff) until this many have run (`SLUICE_TASK_MAX_ATTEMPTS`, default 3).
   */
  taskMaxAttempts: number;
  /**
   * Fan-out of the transform: objects of at least `minBytes` are cut into parts of about
   * `partBytes`, staged by `workers` worker threads (`TransformWorkers`). From the environment
   * (`SLUICE_FANOUT_MIN_BYTES`, `SLUICE_PART_BYTES`, `SLUICE_TRANSFORM_WORKERS`) when set.
   */
  fanOut: { minBytes: number; partBytes: number; workers: number };
  /**
   * gzip level of the staged rows (`SLUICE_STAGING_GZIP_LEVEL` when set). Locally 0: the staged
   * rows are read back from the same disk, so deflating them only costs CPU (about a fifth of
   * staging's, and the loader's inflate); in AWS staging's default, 1, saves S3 bytes.
   */
  stagingGzipLevel: number;
}

const SECOND = 1000;

const MIB = 1024 * 1024;

/**
 * The local fan-out defaults, from the curve in docs/performance.md: below about 64 MiB the
 * pre-scan, the extra queue messages and the parts' documents cost more than a second core saves;
 * parts of 32 MiB keep two workers busy on such an object and each worker's memory small.
 */
export const DEFAULT_FAN_OUT = { minBytes: 64 * MIB, partBytes: 32 * MIB } as const;

/** The first retry delay of a failed message, and the bound its doubling stops at (see {@link DEFAULT_PIPELINE_SETTINGS}). */
const RETRY_BACKOFF = { retryDelayMs: SECOND, maxRetryDelayMs: 30 * SECOND };

/**
 * Defaults: the infrastructure's `dev` function settings (infrastructure/tests/local-pipeline-settings.test.ts
 * holds them equal), plus a local retry backoff: a failed message comes back after 1 s instead of
 * its (long) visibility timeout, then 2, 4, 8 s… (at most 30 s), so with 5 receives a message is
 * tried for about 15 s before its DLQ: a one-off failure is retried at once, and a database
 * restart of a few seconds does not use up the receives of every load waiting for it.
 */
export const DEFAULT_PIPELINE_SETTINGS: Readonly<LocalPipelineSettings> = {
  buckets: { raw: "sluice-raw", staging: "sluice-staging" },
  topicName: "sluice-events",
  queues: { maxReceiveCount: 5, visibilityTimeoutMultiplier: 6, rawMessageDelivery: true },
  functions: {
    listener: {
      batchSize: 10,
      timeoutMs: 30 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 256,
      ...RETRY_BACKOFF,
    },
    transform: {
      batchSize: 1,
      timeoutMs: 300 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 1024,
      ...RETRY_BACKOFF,
    },
    launcher: {
      batchSize: 5,
      timeoutMs: 30 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 256,
      ...RETRY_BACKOFF,
    },
    loader: {
      batchSize: 1,
      timeoutMs: 300 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 512,
      ...RETRY_BACKOFF,
    },
  },
  pollIntervalMs: 200,
  outboxPollMs: 100,
  taskStopTimeoutMs: 30 * SECOND,
  taskMaxAttempts: DEFAULT_TASK_MAX_ATTEMPTS,
  fanOut: { ...DEFAULT_FAN_OUT, workers: availableParallelism() },
  stagingGzipLevel: 0,
};

/** Environment variables that tune the local runtime's retries (`sluice` reads them at start). */
export const RETRY_ENV = {
  /** `retryDelayMs` of every function: the first retry delay of a failed message. */
  retryDelayMs: "SLUICE_RETRY_DELAY_MS",
  /** `maxRetryDelayMs` of every function: the bound of the doubling delay. */
  maxRetryDelayMs: "SLUICE_MAX_RETRY_DELAY_MS",
} as const;

/** The retry backoff of every function from {@link RETRY_ENV}, over the defaults; a bad value is a `ConfigError`. */
export function retrySettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PipelineSettingsOverrides {
  const backoff: Partial<FunctionSettings> = {
    retryDelayMs: intFromEnv(RETRY_ENV.retryDelayMs, RETRY_BACKOFF.retryDelayMs, env),
    maxRetryDelayMs: intFromEnv(RETRY_ENV.maxRetryDelayMs, RETRY_BACKOFF.maxRetryDelayMs, env),
  };
  const functions: PipelineSettingsOverrides["functions"] = {};
  for (const name of FUNCTION_NAMES) functions[name] = backoff;
  return { functions };
}

/** `SLUICE_TRANSFORM_WORKERS`: worker threads staging parts locally (default: one per core). */
export const TRANSFORM_WORKERS_ENV = "SLUICE_TRANSFORM_WORKERS";

/** The fan-out settings from the environment over the defaults; a bad value is a `ConfigError`. */
export function fanOutSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): LocalPipelineSettings["fanOut"] {
  return {
    minBytes: intFromEnv(ENV.fanOutMinBytes, DEFAULT_PIPELINE_SETTINGS.fanOut.minBytes, env),
    partBytes: intFromEnv(ENV.partBytes, DEFAULT_PIPELINE_SETTINGS.fanOut.partBytes, env),
    workers: intFromEnv(TRANSFORM_WORKERS_ENV, DEFAULT_PIPELINE_SETTINGS.fanOut.workers, env),
  };
}

/** Settings overrides: any field, at any depth. */
export type PipelineSettingsOverrides = {
  buckets?: Partial<LocalPipelineSettings["buckets"]>;
  topicName?: string;
  queues?: Partial<LocalPipelineSettings["queues"]>;
  functions?: Partial<Record<FunctionName, Partial<FunctionSettings>>>;
  pollIntervalMs?: number;
  outboxPollMs?: number;
  taskStopTimeoutMs?: number;
  taskMaxAttempts?: number;
  fanOut?: Partial<LocalPipelineSettings["fanOut"]>;
  stagingGzipLevel?: number;
};

/** The defaults with `overrides` applied. */
export function resolvePipelineSettings(overrides: PipelineSettingsOverrides = {}): LocalPipelineSettings {
  const d = DEFAULT_PIPELINE_SETTINGS;
  const functions = {} as Record<FunctionName, FunctionSettings>;
  for (const name of FUNCTION_NAMES)
    functions[name] = { ...d.functions[name], ...overrides.functions?.[name] };
  return {
    buckets: { ...d.buckets, ...overrides.buckets },
    topicName: overrides.topicName ?? d.topicName,
    queues: { ...d.queues, ...overrides.queues },
    functions,
    pollIntervalMs: overrides.pollIntervalMs ?? d.pollIntervalMs,
    outboxPollMs: overrides.outboxPollMs ?? d.outboxPollMs,
    taskStopTimeoutMs: overrides.taskStopTimeoutMs ?? d.taskStopTimeoutMs,
    taskMaxAttempts: overrides.taskMaxAttempts ?? intFromEnv(ENV.taskMaxAttempts, d.taskMaxAttempts),
    fanOut: { ...fanOutSettingsFromEnv(), ...overrides.fanOut },
    stagingGzipLevel: overrides.stagingGzipLevel ?? gzipLevelFromEnv(d.stagingGzipLevel),
  };
}
