import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { ManualClock } from "../src";

/** A fresh temporary directory, removed by the returned cleanup. */
export async function tempDir(
  prefix = "sluice-local-",
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Reads a stream to the end. */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/**
 * How long a test waits in real time for something that should happen. Generous on purpose: it
 * only bounds a broken test, and a loaded machine can be many times slower than an idle one.
 */
export const WAIT_DEADLINE_MS = 20_000;

/** Waits until `check` is true, polling every 10 ms, or fails after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = WAIT_DEADLINE_MS,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves on the next event-loop turn, after every promise callback queued so far has run. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Resolves once this process has had no file-system request in flight for two event-loop turns
 * in a row: the code under test has done all the I/O it can and is parked (on a clock, say).
 */
export async function ioSettled(): Promise<void> {
  for (let quietTurns = 0; quietTurns < 2; ) {
    if (fileSystemBusy()) {
      quietTurns = 0;
      await new Promise((resolve) => setTimeout(resolve, 1));
    } else {
      quietTurns++;
      await nextTurn();
    }
  }
}

function fileSystemBusy(): boolean {
  return process.getActiveResourcesInfo().some((resource) => resource.startsWith("FSReq"));
}

/**
 * Runs the code under test on `clock` as an infinitely fast machine would run it: each time it
 * is parked (no file I/O in flight) and `check` is still false, moves the clock to its next
 * timer. So a poll interval, a visibility timeout or an invocation timeout passes only once
 * everything that could happen before it has happened, however slow the machine is.
 */
export async function runClockUntil(
  clock: ManualClock,
  check: () => boolean | Promise<boolean>,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + WAIT_DEADLINE_MS;
  for (;;) {
    await ioSettled();
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    const next = clock.nextTimerAt();
    // Nothing waits on the clock: something else is still running (a child process, say).
    if (next === undefined) await new Promise((resolve) => setTimeout(resolve, 5));
    else await clock.advance(next - clock.now());
  }
}
