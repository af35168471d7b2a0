import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

/** The real binary, built from the current sources by the global setup. */
export const CLI_BUNDLE = join(__dirname, "..", "..", "dist", "sluice.cjs");

/** A `sluice` process of the real binary: what it printed so far and how it ended. */
export interface Started {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Its exit code (`null` when a signal ended it), once its output is all read. */
  exited: Promise<number | null>;
}

/** Starts the real `sluice` binary with `args`; `env` is added to this process's environment. */
export function startSluice(args: readonly string[], env: Record<string, string | undefined> = {}): Started {
  const child = spawn(process.execPath, [CLI_BUNDLE, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const started: Started = {
    child,
    stdout: "",
    stderr: "",
    exited: new Promise((resolve) => child.once("close", (code) => resolve(code))),
  };
  child.stdout!.on("data", (chunk: Buffer) => {
    started.stdout += chunk.toString();
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    started.stderr += chunk.toString();
  });
  return started;
}

/** Runs the real `sluice` binary to its end: exit code and output. */
export async function runSluice(
  args: readonly string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const started = startSluice(args, env);
  const code = await started.exited;
  return { code, out: started.stdout, err: started.stderr };
}

/**
 * Waits until `condition` holds, looking every `pollMs`, or fails naming `what` after
 * `timeoutMs`: a deadline against hangs, generous so a loaded machine only slows a test down.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  { timeoutMs = 120_000, pollMs = 25 }: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Whether process `pid` is still running. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
