import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLoadTarget } from "@sluice/loader";
import { EventJournal, type JournalEntry, localStateLayout } from "@sluice/local";
import {
  type CliIo,
  type LocalRuntime,
  type LocalRuntimeOptions,
  type RunState,
  runCli,
  samplesDir,
  startLocalRuntime,
} from "../../src";

/** A database the pipeline loads into, fresh per test. */
export interface TestDatabase {
  kind: "PGlite" | "Postgres";
  /** A URL for a fresh database (PGlite: a directory under `stateDir`). */
  create(stateDir: string): Promise<string>;
  /** Removes what {@link create} made outside the state directory. */
  drop(url: string): Promise<void>;
}

const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;

/** PGlite always; the real Postgres when SLUICE_TEST_DATABASE_URL is set (required in CI). */
export function testDatabases(fileTag: string): TestDatabase[] {
  const kinds: TestDatabase[] = [
    { kind: "PGlite", create: async (stateDir) => join(stateDir, "pglite"), drop: async () => undefined },
  ];
  if (serverUrl) {
    let counter = 0;
    kinds.push({
      kind: "Postgres",
      create: async () => {
        const name = `sluice_${fileTag}_${process.pid}_${Date.now()}_${counter++}`;
        const admin = createLoadTarget(serverUrl);
        try {
          await admin.query(`CREATE DATABASE ${name}`);
        } finally {
          await admin.close();
        }
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        return url.toString();
      },
      drop: async (url) => {
        const admin = createLoadTarget(serverUrl);
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${new URL(url).pathname.slice(1)} WITH (FORCE)`);
        } finally {
          await admin.close();
        }
      },
    });
  } else if (process.env.CI === "true") {
    throw new Error("SLUICE_TEST_DATABASE_URL must be set in CI");
  } else {
    console.warn(`SLUICE_TEST_DATABASE_URL is not set: ${fileTag} runs against PGlite only`);
  }
  return kinds;
}

/** Pipeline settings that keep tests quick: short polls, quick retries, DLQ after 3 receives. */
/**
 * How long a test waits for the pipeline to drain. A deadline, not a speed claim: on a loaded
 * 2-core machine (a second test run going) PGlite alone can take a minute to start and load the
 * samples, and a test must only fail when the pipeline really stalls.
 */
export const DRAIN_TIMEOUT_MS = 300_000;

/** Jest's time limit for a test that drains the pipeline (once or twice) plus its setup. */
export const E2E_TEST_TIMEOUT_MS = 3 * DRAIN_TIMEOUT_MS;

export const FAST_SETTINGS: LocalRuntimeOptions["settings"] = {
  pollIntervalMs: 20,
  outboxPollMs: 20,
  taskStopTimeoutMs: 5000,
  queues: { maxReceiveCount: 3 },
  functions: {
    listener: { retryDelayMs: 30 },
    transform: { retryDelayMs: 30 },
    launcher: { retryDelayMs: 30 },
    loader: { retryDelayMs: 30 },
  },
};

/** A temporary state directory. */
export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-cli-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Starts a local runtime with {@link FAST_SETTINGS}. */
export function startRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  return startLocalRuntime({ settings: FAST_SETTINGS, ...options });
}

/**
 * Starts a runtime whose loader always throws ("loader bug"): every object it is given ends in
 * `loader-dlq` after {@link FAST_SETTINGS}' receives, as a real bug would park it.
 */
export function startRuntimeWithBrokenLoader(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  return startRuntime({
    ...options,
    wrapHandler: (name, handler) =>
      name === "loader"
        ? async () => {
            throw new Error("loader bug");
          }
        : handler,
  });
}

/** Every event the state directory's journal holds, oldest first. */
export function journalEntries(stateDir: string): Promise<JournalEntry[]> {
  return new EventJournal(localStateLayout(stateDir).journalFile).readAll();
}

/** The sample files' keys and what each should end as. */
export function expectedSamples(): Record<string, RunState> {
  return JSON.parse(readFileSync(join(samplesDir(), "expected.json"), "utf8")) as Record<string, RunState>;
}

/** Rows of a table. */
export async function countRows(runtime: LocalRuntime, table: string): Promise<number> {
  const result = await runtime.database.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(result.rows[0]!.n);
}

/** A CLI output sink for tests. */
export function bufferIo(): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, isTTY: false, out: (t) => void stdout.push(t), err: (t) => void stderr.push(t) };
}

/** Sample rows per table after every sample loaded once. */
export const SAMPLE_TABLE_ROWS = { orders: 20 + 15 + 18 + 5, customers: 11, ledger_entries: 8 } as const;

/** What one `sluice` command line printed and exited with. */
export interface CliOutcome {
  code: number;
  out: string;
  err: string;
}

/** Runs `sluice` command lines in-process with `globals` (state dir, database, contracts) in front. */
export function cliWith(globals: () => readonly string[]): (...args: string[]) => Promise<CliOutcome> {
  return async (...args) => {
    const io = bufferIo();
    const code = await runCli([...globals(), ...args], io);
    return { code, out: io.stdout.join("\n"), err: io.stderr.join("\n") };
  };
}

/** Writes each contract to `<dir>/<name>.json`. */
export async function writeContracts(
  dir: string,
  ...contracts: ({ name: string } & Record<string, unknown>)[]
): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const contract of contracts)
    await writeFile(join(dir, `${contract.name}.json`), JSON.stringify(contract, null, 2));
}

/** The global options of a test's folder: state in `<root>/state`, `databaseUrl`, contracts in `<root>/contracts`. */
export function folderGlobals(root: string, databaseUrl: string): string[] {
  return [
    "--state-dir",
    join(root, "state"),
    "--database-url",
    databaseUrl,
    "--contracts",
    join(root, "contracts"),
  ];
}
