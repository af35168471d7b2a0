import type { SqlSession } from "@sluice/core";
import { RUN_ID_SETTING } from "./lineage";
import { ensureSchema, lockDdl } from "./schema";
import { qualifiedName, type TableName } from "./sql";
import type { LoadCounts } from "./strategies/strategy";

/** The ledger table of a schema: one row per run, the loader's exactly-once record. */
export function ledgerTableOf(schema: string): TableName {
  return { schema, table: "load_ledger" };
}

/**
 * A run's status in the ledger: `pending` while its first load is under way (or rolled back),
 * `loaded`, or `unloaded` (its rows were taken back out; a later delivery loads it again).
 */
export const LEDGER_STATUSES = ["pending", "loaded", "unloaded"] as const;
/** One of {@link LEDGER_STATUSES}. */
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];

/** Name of the ledger's CHECK constraint on `status` (Postgres's own name for it). */
export const LEDGER_STATUS_CHECK = "load_ledger_status_check";

/** The CHECK constraint clause that keeps `status` one of {@link LEDGER_STATUSES}. */
export function ledgerStatusCheckSql(): string {
  return `CONSTRAINT ${LEDGER_STATUS_CHECK} CHECK (status IN (${LEDGER_STATUSES.map((s) => `'${s}'`).join(", ")}))`;
}

/** A run's row in the ledger. */
export interface LedgerEntry extends LoadCounts {
  runId: string;
  status: LedgerStatus;
  /** The schema-qualified table the run was (or is being) loaded into. */
  table: string;
  /** Version of the contract the run was last loaded under. */
  contractVersion: number;
  /** Fingerprint of that contract; `null` for runs loaded before fingerprints were kept. */
  contractHash: string | null;
  /** Why the last load put nothing in on purpose (e.g. `older-snapshot`), else `null`. */
  skipped: string | null;
  attempts: number;
  loadedAt: Date | null;
}

/** What the ledger records about the run being loaded. */
export interface LedgerRun {
  runId: string;
  dataset: string;
  objectBucket: string;
  objectKey: string;
  objectVersionId?: string;
  objectETag?: string;
  table: string;
  contractVersion: number;
  /** Fingerprint of the contract the run is loaded under. */
  contractHash: string;
}

type Count = string | number | null;

interface LedgerRow {
  run_id: string;
  status: LedgerStatus;
  target_table: string;
  contract_version: number;
  contract_hash: string | null;
  skipped: string | null;
  rows_staged: Count;
  inserted: Count;
  updated: Count;
  unchanged: Count;
  deleted: Count;
  repeats: Count;
  rejected: Count;
  attempts: number;
  loaded_at: Date | string | null;
}

const ENTRY_COLUMNS =
  "run_id, status, target_table, contract_version, contract_hash, skipped, rows_staged, inserted, updated, unchanged, deleted, repeats, rejected, attempts, loaded_at";

/** Columns added after the ledger's first version: a ledger created before gets them on first use. */
const LATER_COLUMNS: readonly [name: string, type: string][] = [
  ["contract_hash", "text"],
  ["deleted", "bigint"],
  ["repeats", "bigint"],
  ["rejected", "bigint"],
  ["skipped", "text"],
];

function ledgerDdl(ledger: TableName): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(ledger)} (
    run_id text PRIMARY KEY,
    dataset text NOT NULL,
    object_bucket text NOT NULL,
    object_key text NOT NULL,
    object_version_id text,
    object_etag text,
    target_table text NOT NULL,
    contract_version integer NOT NULL,
    status text NOT NULL ${ledgerStatusCheckSql()},
    rows_staged bigint,
    inserted bigint,
    updated bigint,
    unchanged bigint,
    attempts integer NOT NULL DEFAULT 0,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    loaded_at timestamptz,
    unloaded_at timestamptz,
    rows_unloaded bigint,
    ${LATER_COLUMNS.map(([name, type]) => `${name} ${type}`).join(",\n    ")}
  )`;
}

/** Transaction-local settings a load sets in the same round trip as its ledger check. */
export interface LoadSettings {
  /** `lock_timeout` of the transaction: how long a statement may wait for a lock (a ledger row, a table). */
  lockTimeoutMs: number;
  /** The run being loaded, for the lineage run id column's default ({@link RUN_ID_SETTING}). */
  runId?: string;
}

/**
 * Creates the ledger (and its schema) when missing, and adds the columns a ledger of an
 * earlier version lacks; a no-op catalogue read otherwise. `settings` are set for the rest of
 * the transaction by that same statement, so a load's first round trip does all three.
 */
export async function ensureLedger(
  session: SqlSession,
  ledger: TableName,
  settings?: LoadSettings,
): Promise<void> {
  const names = LATER_COLUMNS.map(([name]) => name);
  const params: unknown[] = [qualifiedName(ledger), names];
  const selected = [
    `(SELECT count(*) FROM pg_attribute
       WHERE attrelid = to_regclass($1) AND attname = ANY($2::text[]) AND NOT attisdropped) AS columns`,
  ];
  if (settings) {
    params.push(`${settings.lockTimeoutMs}ms`);
    selected.push(`set_config('lock_timeout', $${params.length}, true)`);
  }
  if (settings?.runId !== undefined) {
    params.push(settings.runId);
    selected.push(`set_config('${RUN_ID_SETTING}', $${params.length}, true)`);
  }
  const found = await session.query<{ columns: string | number }>(`SELECT ${selected.join(", ")}`, params);
  if (Number(found.rows[0]?.columns ?? 0) === names.length) return;
  await lockDdl(session);
  await ensureSchema(session, ledger.schema);
  await session.query(ledgerDdl(ledger));
  for (const [name, type] of LATER_COLUMNS) {
    await session.query(`ALTER TABLE ${qualifiedName(ledger)} ADD COLUMN IF NOT EXISTS ${name} ${type}`);
  }
}

/**
 * Takes the run's ledger row lock until the transaction ends, in one statement: inserts the row
 * when it is the run's first delivery, else locks the existing one — `ON CONFLICT … DO UPDATE`
 * locks it exactly as `SELECT … FOR UPDATE` would and, under READ COMMITTED, waits for a
 * concurrent delivery of the run and then reads the row it committed. So a concurrent delivery of
 * the same run waits here and then sees the first one's outcome; the existing row keeps its
 * status, counts and contract. `attempts` counts the deliveries that reached commit (the load,
 * then each no-op redelivery).
 */
export async function lockRun(session: SqlSession, ledger: TableName, run: LedgerRun): Promise<LedgerEntry> {
  const locked = await session.query<LedgerRow>(
    `INSERT INTO ${qualifiedName(ledger)} AS ledger (run_id, dataset, object_bucket, object_key, object_version_id, object_etag, target_table, contract_version, contract_hash, status, attempts)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', 1)
     ON CONFLICT (run_id) DO UPDATE SET attempts = ledger.attempts + 1
     RETURNING ${ENTRY_COLUMNS}`,
    [
      run.runId,
      run.dataset,
      run.objectBucket,
      run.objectKey,
      run.objectVersionId ?? null,
      run.objectETag ?? null,
      run.table,
      run.contractVersion,
      run.contractHash,
    ],
  );
  const row = locked.rows[0];
  if (!row) throw new Error(`ledger row of run ${run.runId} was neither inserted nor locked`);
  return toEntry(row);
}

/**
 * True when the locked run was loaded under the same contract as this delivery's, so the
 * delivery changes nothing. A ledger row from before fingerprints compares contract versions.
 */
export function loadedUnderSameContract(entry: LedgerEntry, run: LedgerRun): boolean {
  if (entry.status !== "loaded") return false;
  if (entry.contractHash === null) return entry.contractVersion === run.contractVersion;
  return entry.contractHash === run.contractHash;
}

/** Marks the locked run loaded with its counts (and, when it put nothing in on purpose, why). */
export async function markLoaded(
  session: SqlSession,
  ledger: TableName,
  run: LedgerRun,
  counts: LoadCounts,
  skipped?: string,
): Promise<void> {
  await session.query(
    `UPDATE ${qualifiedName(ledger)}
        SET status = 'loaded', rows_staged = $2, inserted = $3, updated = $4, unchanged = $5,
            deleted = $6, repeats = $7, rejected = $8, skipped = $9,
            target_table = $10, contract_version = $11, contract_hash = $12, loaded_at = now()
      WHERE run_id = $1`,
    [
      run.runId,
      counts.rowsStaged,
      counts.inserted,
      counts.updated,
      counts.unchanged,
      counts.deleted,
      counts.repeats,
      counts.rejected,
      skipped ?? null,
      run.table,
      run.contractVersion,
      run.contractHash,
    ],
  );
}

/** Reads a run's ledger row (outside the load's transaction), or `undefined`. */
export async function readLedgerEntry(
  query: SqlSession["query"],
  ledger: TableName,
  runId: string,
): Promise<LedgerEntry | undefined> {
  const result = await query<LedgerRow>(
    `SELECT ${ENTRY_COLUMNS} FROM ${qualifiedName(ledger)} WHERE run_id = $1`,
    [runId],
  );
  const row = result.rows[0];
  return row ? toEntry(row) : undefined;
}

function toEntry(row: LedgerRow): LedgerEntry {
  return {
    runId: row.run_id,
    status: row.status,
    table: row.target_table,
    contractVersion: Number(row.contract_version),
    contractHash: row.contract_hash,
    skipped: row.skipped,
    rowsStaged: Number(row.rows_staged ?? 0),
    inserted: Number(row.inserted ?? 0),
    updated: Number(row.updated ?? 0),
    unchanged: Number(row.unchanged ?? 0),
    deleted: Number(row.deleted ?? 0),
    repeats: Number(row.repeats ?? 0),
    rejected: Number(row.rejected ?? 0),
    attempts: Number(row.attempts),
    loadedAt: row.loaded_at === null ? null : new Date(row.loaded_at),
  };
}
