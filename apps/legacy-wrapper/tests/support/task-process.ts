import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEvent, ENV, parseEvent, runIdOf, type SluiceEvent } from "@sluice/core";
import { LOCAL_ENV, LocalObjectStore, localStateLayout } from "@sluice/local";

/** The bundled entrypoint the tests run (built by `pnpm build`; turbo's test task builds first). */
export const ENTRYPOINT = join(__dirname, "..", "..", "dist", "entrypoint.mjs");

/** Fails with a clear message when the bundle has not been built. */
export function requireBundle(): void {
  if (!existsSync(ENTRYPOINT)) {
    throw new Error(`${ENTRYPOINT} does not exist: run \`pnpm --filter @sluice/legacy-wrapper build\` first`);
  }
}

export const RAW_BUCKET = "raw";
export const STAGING_BUCKET = "staging";

/** A local runtime state directory with its store, as the local task runner gives a task. */
export interface TaskWorld {
  stateDir: string;
  store: LocalObjectStore;
  /** Puts a raw object and returns its `sluice.object.received` event (route container). */
  receive(
    key: string,
    body: string | Buffer,
    dataset?: string,
  ): Promise<SluiceEvent<"sluice.object.received">>;
  /** Events the task published (the outbox the runtime relays), in order. */
  published(): Promise<SluiceEvent[]>;
  /** Keys in the staging bucket. */
  stagedKeys(): Promise<string[]>;
  dispose(): Promise<void>;
}

export async function createTaskWorld(): Promise<TaskWorld> {
  const stateDir = await mkdtemp(join(tmpdir(), "sluice-legacy-task-"));
  const layout = localStateLayout(stateDir);
  const store = new LocalObjectStore({ rootDir: layout.bucketsDir });
  await store.createBucket(RAW_BUCKET);
  await store.createBucket(STAGING_BUCKET);
  return {
    stateDir,
    store,
    async receive(key, body, dataset = "ledger") {
      const put = await store.put(RAW_BUCKET, key, body);
      const object = { bucket: RAW_BUCKET, key, size: Buffer.byteLength(body), eTag: put.eTag };
      return createEvent("sluice.object.received", "sluice/listener", {
        runId: runIdOf(object),
        object,
        dataset,
        contractVersion: 1,
        route: "container",
      });
    },
    async published() {
      const names = existsSync(layout.outboxDir)
        ? (await readdir(layout.outboxDir)).filter((n) => n.endsWith(".json")).sort()
        : [];
      return Promise.all(
        names.map(async (n) => parseEvent(await readFile(join(layout.outboxDir, n), "utf8"))),
      );
    },
    async stagedKeys() {
      const keys: string[] = [];
      for await (const head of store.list(STAGING_BUCKET, "")) keys.push(head.key);
      return keys;
    },
    dispose: () => rm(stateDir, { recursive: true, force: true }),
  };
}

/** How a task process ended. */
export interface TaskRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Its stdout and stderr: the structured log, one JSON object per line. */
  stdout: string;
  stderr: string;
  /** Parsed log lines. */
  logs: Array<Record<string, unknown>>;
}

/**
 * Runs the entrypoint as a real process, as the local task runner does: env = the task
 * definition's variables + `SLUICE_TASK_EVENT` + the local state directory. `onLog` sees each
 * log line as it arrives (e.g. to send SIGTERM once the program runs).
 */
export function runTaskProcess(
  world: TaskWorld,
  event: SluiceEvent<"sluice.object.received"> | undefined,
  extraEnv: Record<string, string> = {},
  onLog?: (line: Record<string, unknown>, child: ReturnType<typeof spawn>) => void,
): Promise<TaskRun> {
  requireBundle();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    [LOCAL_ENV.stateDir]: world.stateDir,
    [ENV.rawBucket]: RAW_BUCKET,
    [ENV.stagingBucket]: STAGING_BUCKET,
    ...extraEnv,
  };
  if (event) env[ENV.taskEvent] = JSON.stringify(event);
  const child = spawn(process.execPath, [ENTRYPOINT], { env, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  const logs: Array<Record<string, unknown>> = [];
  // Powertools writes INFO/WARN lines to stdout and ERROR lines to stderr: read both as the log.
  for (const name of ["stdout", "stderr"] as const) {
    let pending = "";
    child[name].on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      output[name] += text;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        onLog?.(parsed, child);
      }
    });
  }
  return new Promise((resolve) => {
    child.on("close", (code, signal) => resolve({ code, signal, ...output, logs }));
  });
}

/** A ledger record in the contract's fixed-width layout (10, 8, 10, 12 right-aligned, 30). */
export function ledgerRecord(
  entryId: number | string,
  account: string,
  postedOn: string,
  amount: string,
  memo: string,
) {
  return `${String(entryId).padEnd(10)}${account.padEnd(8)}${postedOn.padEnd(10)}${amount.padStart(12)}${memo.padEnd(30)}`;
}

/** 40 valid ledger records and one whose account is not 8 digits (2.4% rejected, under the 5% limit). */
export function ledgerFile(): string {
  const lines: string[] = [];
  for (let i = 1; i <= 40; i++) {
    const memo = i === 7 ? 'Coffee, "large" beans' : `entry ${i}`;
    lines.push(ledgerRecord(1000 + i, `000${String(i).padStart(5, "0")}`, "2026-11-02", `${i}.25`, memo));
  }
  lines.push(ledgerRecord(2000, "ABC", "2026-11-02", "1.00", "bad account"));
  return `${lines.join("\n")}\n`;
}
