import type { FunctionSettings } from "@sluice/local";

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
  /** Per function: batch size, timeout, reserved concurrency, memory, and the local retry delay. */
  functions: Record<FunctionName, FunctionSettings>;
  /** How often idle pollers look at their queue again. */
  pollIntervalMs: number;
  /** How often events published by tasks (the outbox) are relayed onto the bus. */
  outboxPollMs: number;
  /** Grace between SIGTERM and SIGKILL when the runtime stops a task (ECS `stopTimeout`). */
  taskStopTimeoutMs: number;
}

const SECOND = 1000;

/**
 * Defaults: the infrastructure's `dev` function settings (infrastructure/tests/local-pipeline-settings.test.ts
 * holds them equal), plus a one-second retry delay so a
 * failed message is retried at once locally instead of after its (long) visibility timeout.
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
      retryDelayMs: SECOND,
    },
    transform: {
      batchSize: 1,
      timeoutMs: 300 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 1024,
      retryDelayMs: SECOND,
    },
    launcher: {
      batchSize: 5,
      timeoutMs: 30 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 256,
      retryDelayMs: SECOND,
    },
    loader: {
      batchSize: 1,
      timeoutMs: 300 * SECOND,
      reservedConcurrency: 2,
      memoryMb: 512,
      retryDelayMs: SECOND,
    },
  },
  pollIntervalMs: 200,
  outboxPollMs: 100,
  taskStopTimeoutMs: 30 * SECOND,
};

/** Settings overrides: any field, at any depth. */
export type PipelineSettingsOverrides = {
  buckets?: Partial<LocalPipelineSettings["buckets"]>;
  topicName?: string;
  queues?: Partial<LocalPipelineSettings["queues"]>;
  functions?: Partial<Record<FunctionName, Partial<FunctionSettings>>>;
  pollIntervalMs?: number;
  outboxPollMs?: number;
  taskStopTimeoutMs?: number;
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
  };
}
