import type { CommandContext } from "../../context";
import type { DrainOutcome } from "../../runtime/drain";
import { type LocalRuntime, startLocalRuntime } from "../../runtime/local-runtime";

/**
 * Runs `work` with a started local runtime on the state directory, then closes it. Ctrl-C
 * (SIGINT/SIGTERM) resolves `interrupted` instead of killing the process: work in flight stays
 * on disk and the next command resumes it.
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

/**
 * Waits until the runtime drains (or `timeoutMs`, or Ctrl-C), showing its events as the
 * reporter shows progress.
 */
export async function followWithProgress(
  runtime: LocalRuntime,
  { reporter }: CommandContext,
  options: { timeoutMs: number; interrupted: Promise<void>; terminalOnly?: boolean },
): Promise<DrainOutcome> {
  const progress = reporter.progress({ terminalOnly: options.terminalOnly ?? false });
  try {
    return await runtime.follow({
      timeoutMs: options.timeoutMs,
      interrupted: options.interrupted,
      onEvent: progress.onEvent,
    });
  } finally {
    progress.end();
  }
}
