import type { CommandContext } from "../../context";
import type { DrainOutcome } from "../../runtime/drain";
import { type IngestedObject, type LocalRuntime, startLocalRuntime } from "../../runtime/local-runtime";
import { retrySettingsFromEnv } from "../../runtime/settings";

/**
 * Runs `work` with a started local runtime on the state directory, then closes it. Ctrl-C
 * (SIGINT/SIGTERM) resolves `interrupted` instead of killing the process: work in flight stays
 * on disk and the next command resumes it. The retry backoff comes from `SLUICE_RETRY_DELAY_MS` /
 * `SLUICE_MAX_RETRY_DELAY_MS` when set.
 * @throws StateDirectoryInUseError when another runtime holds the state directory.
 */
export async function withRuntime<T>(
  { globals, io }: CommandContext,
  work: (runtime: LocalRuntime, interrupted: Promise<void>) => Promise<T>,
): Promise<T> {
  let onSignal: (() => void) | undefined;
  const interrupted = new Promise<void>((resolve) => {
    onSignal = () => {
      io.err("stopping: work in flight stays queued and resumes on the next run");
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  try {
    const runtime = await startLocalRuntime({
      stateDir: globals.stateDir,
      ...(globals.databaseUrl ? { databaseUrl: globals.databaseUrl } : {}),
      ...(globals.contractsDir ? { contractsDir: globals.contractsDir } : {}),
      logLevel: globals.verbose ? "INFO" : "SILENT",
      settings: retrySettingsFromEnv(),
      ...(globals.fsync ? { fsync: true } : {}),
      ...(globals.verbose ? { onTaskOutput: (line: string) => io.err(line) } : {}),
    });
    try {
      return await work(runtime, interrupted);
    } finally {
      await runtime.close();
    }
  } finally {
    if (onSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  }
}

/** Options of {@link followWithProgress}. */
export interface FollowProgressOptions {
  timeoutMs: number;
  interrupted: Promise<void>;
  /** Show progress on a terminal only. */
  terminalOnly?: boolean;
  /** Writes files into the raw bucket first, telling `onStored` of each object as it is stored. */
  ingest?: (onStored: (object: IngestedObject) => void) => Promise<IngestedObject[]>;
}

/**
 * Ingests `options.ingest` (if any), then waits until the runtime drains (or `timeoutMs`, or
 * Ctrl-C), showing its events as the reporter shows progress. The view follows the runtime from
 * before the first file is stored, so every object counts from the start, whatever the pipeline
 * did with it while later files were still being written.
 */
export async function followWithProgress(
  runtime: LocalRuntime,
  { reporter }: CommandContext,
  options: FollowProgressOptions,
): Promise<{ outcome: DrainOutcome; ingested: IngestedObject[] }> {
  const progress = reporter.progress({ terminalOnly: options.terminalOnly ?? false });
  const unsubscribe = runtime.onEvent(progress.onEvent);
  try {
    const ingested = options.ingest ? await options.ingest((object) => progress.stored(object)) : [];
    const outcome = await runtime.follow({ timeoutMs: options.timeoutMs, interrupted: options.interrupted });
    return { outcome, ingested };
  } finally {
    unsubscribe();
    progress.end();
  }
}
