import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { runIdOf } from "@sluice/core";
import { LocalObjectStore, localStateLayout } from "@sluice/local";
import { EXIT, type RunStatus, samplesDir } from "../../src";
import {
  cliWith,
  folderGlobals,
  type TestDatabase,
  tempStateDir,
  testDatabases,
  writeContracts,
} from "./harness";

/**
 * How many times a fault is injected: `SLUICE_CHAOS_TRIALS` (default 10) kill points during an
 * ingest; the slower faults run a fifth as many, at least `minimum`.
 */
export function chaosTrials(share = 1, minimum = 1): number {
  const trials = Number(process.env.SLUICE_CHAOS_TRIALS ?? "10");
  if (!Number.isInteger(trials) || trials < 1)
    throw new Error(`SLUICE_CHAOS_TRIALS=${trials} is not a count`);
  return Math.max(minimum, Math.ceil(trials * share));
}

/**
 * The database a fault trial loads into: the real Postgres when SLUICE_TEST_DATABASE_URL is set
 * (as in CI), else PGlite. One kind only: the faults are of the runtime, not of the database.
 */
export function faultDatabase(fileTag: string): TestDatabase {
  const kinds = testDatabases(fileTag);
  return kinds[kinds.length - 1]!;
}

/** A seeded random number generator (mulberry32): a failing trial can be replayed with its seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed of this run's random choices: `SLUICE_CHAOS_SEED`, else the time. */
export const CHAOS_SEED = Number(process.env.SLUICE_CHAOS_SEED ?? Date.now() % 1_000_000);

/** An append-mode CSV dataset: every row a delivery loads twice would show as a second row. */
export const CLICKS_CONTRACT = {
  name: "clicks",
  version: 1,
  match: { prefix: "clicks/" },
  format: { type: "csv" },
  fields: [
    { name: "event_id", type: "integer", required: true },
    { name: "kind", type: "string", required: true },
    { name: "value", type: "decimal", scale: 2 },
  ],
  table: "clicks",
  load: { mode: "append" },
};

/** The shipped fixed-width ledger contract (container route), appending into its own table. */
export const LEDGER_APPEND_CONTRACT = {
  name: "ledger_append",
  version: 1,
  match: { prefix: "ledger/" },
  format: {
    type: "fixed-width",
    columns: [
      { field: "entry_id", start: 0, length: 10 },
      { field: "account", start: 10, length: 8 },
      { field: "posted_on", start: 18, length: 10 },
      { field: "amount", start: 28, length: 12 },
      { field: "memo", start: 40, length: 30 },
    ],
  },
  fields: [
    { name: "entry_id", type: "integer", required: true },
    { name: "account", type: "string", required: true },
    { name: "posted_on", type: "date", required: true },
    { name: "amount", type: "decimal", required: true, scale: 2 },
    { name: "memo", type: "string" },
  ],
  table: "ledger_appended",
  route: "container",
  load: { mode: "append" },
};

/** Writes `files` CSV files of `rows` rows each under `<dataDir>/clicks/`, every row a distinct event. */
export async function writeClickFiles(dataDir: string, files: number, rows: number): Promise<void> {
  await mkdir(join(dataDir, "clicks"), { recursive: true });
  for (let file = 0; file < files; file++) {
    const lines = ["event_id,kind,value"];
    for (let row = 0; row < rows; row++) lines.push(`${file * rows + row + 1},view,${file}.${row % 100}`);
    await writeFile(
      join(dataDir, "clicks", `f-${String(file).padStart(3, "0")}.csv`),
      `${lines.join("\n")}\n`,
    );
  }
}

/** Settings that fan a clicks file of {@link writeLargeClicks} out: parts of 24 KiB, two workers. */
export const FAN_OUT_ENV = {
  SLUICE_FANOUT_MIN_BYTES: String(64 * 1024),
  SLUICE_PART_BYTES: String(24 * 1024),
  SLUICE_TRANSFORM_WORKERS: "2",
};

/**
 * One clicks file, `<dataDir>/clicks/large.csv`, of `rows` rows (30,000: about 700 KB, some
 * thirty parts with {@link FAN_OUT_ENV}); every 7th kind a quoted value with a line break.
 */
export async function writeLargeClicks(dataDir: string, rows: number): Promise<void> {
  const lines = ["event_id,kind,value"];
  for (let row = 1; row <= rows; row++)
    lines.push(`${row},${row % 7 === 0 ? '"view\nscroll"' : "view"},${row % 1000}.${row % 100}`);
  await mkdir(join(dataDir, "clicks"), { recursive: true });
  await writeFile(join(dataDir, "clicks", "large.csv"), `${lines.join("\n")}\n`);
}

/** Copies the demo's fixed-width ledger sample (8 rows, container route) to `<dataDir>/ledger/2026-01.txt`. */
export async function copyLedgerSample(dataDir: string): Promise<void> {
  await mkdir(join(dataDir, "ledger"), { recursive: true });
  await copyFile(
    join(samplesDir(), "raw", "ledger", "2026-01-general-ledger.txt"),
    join(dataDir, "ledger", "2026-01.txt"),
  );
}

/** One trial's world: a fresh folder (state, contracts, data) and database, and `sluice` on them. */
export interface FaultTrial {
  root: string;
  stateDir: string;
  dataDir: string;
  /** The global options every `sluice` of this trial takes. */
  globals: string[];
  /** `sluice <args>` in this process (for reading status and rows quickly). */
  cli: ReturnType<typeof cliWith>;
  /** `sluice status --json`: every run. */
  statuses(): Promise<RunStatus[]>;
  /** Rows of one statement, through `sluice sql --json`. */
  sql<T>(statement: string): Promise<T[]>;
  /** Each raw object's key with its latest run's state (`no event` when no event names it). */
  rawObjectStates(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

/** Sets up a {@link FaultTrial} with `contracts`. */
export async function startTrial(database: TestDatabase, contracts: { name: string }[]): Promise<FaultTrial> {
  const { dir: root, cleanup } = await tempStateDir();
  const stateDir = join(root, "state");
  const dataDir = join(root, "data");
  await mkdir(stateDir);
  await writeContracts(join(root, "contracts"), ...contracts);
  const databaseUrl = await database.create(stateDir);
  const globals = folderGlobals(root, databaseUrl);
  const cli = cliWith(() => globals);
  const sql = async <T>(statement: string) => {
    const result = await cli("sql", statement, "--json");
    if (result.code !== EXIT.ok) throw new Error(`sql failed: ${result.err}`);
    return JSON.parse(result.out) as T[];
  };
  const statuses = async () => {
    const result = await cli("status", "--json");
    return JSON.parse(result.out || "[]") as RunStatus[];
  };
  return {
    root,
    stateDir,
    dataDir,
    globals,
    cli,
    statuses,
    sql,
    async rawObjectStates() {
      const byRunId = new Map((await statuses()).map((run) => [run.runId, run.state]));
      const store = new LocalObjectStore({ rootDir: localStateLayout(stateDir).bucketsDir });
      const states: Record<string, string> = {};
      for await (const head of store.list("sluice-raw", ""))
        states[head.key] = byRunId.get(runIdOf(head)) ?? "no event";
      return states;
    },
    async cleanup() {
      await database.drop(databaseUrl);
      await cleanup();
    },
  };
}
