import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import type { Logger } from "@sluice/core";

/** How to run one legacy program. */
export interface LegacyProgramRun {
  /** argv: the executable, then its arguments. Run directly, never through a shell. */
  argv: readonly string[];
  /** Working directory of the program. */
  cwd?: string;
  /** Environment of the program (the wrapper's own by default). */
  env?: NodeJS.ProcessEnv;
  timeoutMs: number;
  killGraceMs: number;
  stderrTailBytes: number;
  logLinesMax: number;
  /** Aborting it (SIGTERM to the task) stops the program: SIGTERM, then SIGKILL after the grace. */
  signal?: AbortSignal;
  /**
   * Told the program's process group as soon as it runs; returns the release called once the
   * group ended. The local runtime records the group there, so it ends with the task even when
   * the task is killed first (in a container, the container's end takes it).
   */
  trackGroup?: (pgid: number) => () => void;
}

/** How a legacy program ended. */
export interface LegacyProgramResult {
  /**
   * - `exited`: it exited by itself (see `exitCode`);
   * - `timed-out`: it ran past its time limit and was stopped;
   * - `stopped`: the task was asked to stop (abort signal) and the program was stopped;
   * - `killed`: a signal nobody here sent ended it (OOM killer, `kill -9` from outside);
   * - `not-started`: the executable could not be started (missing, not executable).
   */
  status: "exited" | "timed-out" | "stopped" | "killed" | "not-started";
  /** Exit code when it exited by itself. */
  exitCode?: number;
  /** The signal that ended it, when one did. */
  signal?: NodeJS.Signals;
  /** The last `stderrTailBytes` of stderr (UTF-8, may start mid-character). */
  stderrTail: string;
  /** Total bytes written to stderr and stdout. */
  stderrBytes: number;
  stdoutBytes: number;
  durationMs: number;
  /** Why it could not be started (with `not-started`). */
  startError?: string;
}

/** Keeps only the last `capacity` bytes written to it. */
class TailBuffer {
  #bytes: Buffer = Buffer.alloc(0);

  constructor(readonly capacity: number) {}

  write(chunk: Buffer): void {
    const combined = chunk.length >= this.capacity ? chunk : Buffer.concat([this.#bytes, chunk]);
    this.#bytes = Buffer.from(combined.subarray(Math.max(0, combined.length - this.capacity)));
  }

  toString(): string {
    return this.#bytes.toString("utf8");
  }
}

/** Longest single line copied to the log; longer lines are cut (the tail buffer keeps the bytes). */
const MAX_LOGGED_LINE = 4096;

/**
 * Copies a stream to the log line by line, up to `maxLines` lines, counting the rest, so a
 * program that floods its output cannot flood the log or the wrapper's memory.
 */
function logLines(
  stream: Readable,
  name: "stdout" | "stderr",
  logger: Logger,
  maxLines: number,
  onChunk: (chunk: Buffer) => void,
): Promise<{ suppressed: number }> {
  let pending = "";
  let logged = 0;
  let suppressed = 0;
  const emit = (line: string) => {
    if (logged < maxLines) {
      logged++;
      const text = line.length > MAX_LOGGED_LINE ? `${line.slice(0, MAX_LOGGED_LINE)}…` : line;
      if (name === "stderr") logger.warn("legacy program stderr", { stream: name, line: text });
      else logger.info("legacy program stdout", { stream: name, line: text });
    } else suppressed++;
  };
  return new Promise((resolve) => {
    stream.on("data", (chunk: Buffer) => {
      onChunk(chunk);
      pending += chunk.toString("utf8");
      // Keep `pending` bounded even when the program never writes a newline.
      if (pending.length > MAX_LOGGED_LINE * 2 && !pending.includes("\n")) {
        emit(pending);
        pending = "";
        return;
      }
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) emit(line);
    });
    stream.on("close", () => {
      if (pending !== "") emit(pending);
      resolve({ suppressed });
    });
  });
}

/**
 * Runs a legacy program as a child process with a time limit. Its stdout and stderr stream to
 * the structured log (bounded); only the tail of stderr stays in memory for the failure event.
 * Never rejects: every way the program can end is a {@link LegacyProgramResult}.
 */
export function runLegacyProgram(run: LegacyProgramRun, logger: Logger): Promise<LegacyProgramResult> {
  const [executable, ...args] = run.argv;
  if (executable === undefined) throw new TypeError("legacy program argv is empty");
  const started = Date.now();
  const tail = new TailBuffer(run.stderrTailBytes);
  let stdoutBytes = 0;
  let stderrBytes = 0;
  let stopReason: "timed-out" | "stopped" | undefined;
  let killTimer: NodeJS.Timeout | undefined;

  return new Promise((resolve) => {
    // Its own process group, so stopping it also stops whatever it started (a script's children).
    const child = spawn(executable, args, {
      cwd: run.cwd,
      env: run.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      shell: false,
      detached: true,
    });
    const releaseGroup = child.pid !== undefined ? run.trackGroup?.(child.pid) : undefined;
    const signalGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    let startError: string | undefined;
    child.on("error", (error) => {
      startError = error.message;
    });

    const stop = (reason: "timed-out" | "stopped") => {
      if (stopReason !== undefined || child.exitCode !== null || child.signalCode !== null) return;
      stopReason = reason;
      logger.warn("stopping legacy program", { reason, pid: child.pid, graceMs: run.killGraceMs });
      signalGroup("SIGTERM");
      killTimer = setTimeout(() => signalGroup("SIGKILL"), run.killGraceMs);
    };
    const timer = setTimeout(() => stop("timed-out"), run.timeoutMs);
    const onAbort = () => stop("stopped");
    if (run.signal?.aborted) onAbort();
    else run.signal?.addEventListener("abort", onAbort, { once: true });

    const streams = Promise.all([
      logLines(child.stdout, "stdout", logger, run.logLinesMax, (chunk) => {
        stdoutBytes += chunk.length;
      }),
      logLines(child.stderr, "stderr", logger, run.logLinesMax, (chunk) => {
        stderrBytes += chunk.length;
        tail.write(chunk);
      }),
    ]);

    child.on("exit", () => {
      // The program is done; anything it left running in its group would hold the pipes open.
      signalGroup("SIGKILL");
      releaseGroup?.();
    });
    child.on("close", async (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      run.signal?.removeEventListener("abort", onAbort);
      const [out, err] = await streams;
      if (out.suppressed + err.suppressed > 0) {
        logger.warn("legacy program output was longer than the log budget", {
          stdoutLinesNotLogged: out.suppressed,
          stderrLinesNotLogged: err.suppressed,
        });
      }
      const result: LegacyProgramResult = {
        status:
          startError !== undefined ? "not-started" : (stopReason ?? (code !== null ? "exited" : "killed")),
        stderrTail: tail.toString(),
        stderrBytes,
        stdoutBytes,
        durationMs: Date.now() - started,
      };
      if (code !== null) result.exitCode = code;
      if (signal !== null) result.signal = signal;
      if (startError !== undefined) result.startError = startError;
      resolve(result);
    });
  });
}
