import type { SqlSession } from "@sluice/core";
import { ensureSchema, lockDdl } from "./schema";
import { qualifiedName, type TableName } from "./sql";

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
export interface LedgerEntry {
  runId: string;
  status: LedgerStatus;
  /** The schema-qualified table the run was (or is being) loaded into. */
  table: string;
  rowsStaged: number;
  inserted: number;
  updated: number;
  unchanged: number;
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
}

interface LedgerRow {
  run_id: string;
  status: LedgerStatus;
  target_table: string;
  rows_staged: string | number | null;
  inserted: string | number | null;
  updated: string | number | null;
  unchanged: string | number | null;
  attempts: number;
  loaded_at: Date | string | null;
}

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
    rows_unloaded bigint
  )`;
}

/** Creates the ledger (and its schema) when missing; a no-op catalogue read otherwise. */
export async function ensureLedger(session: SqlSession, ledger: TableName): Promise<void> {
  const exists = await session.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [
    qualifiedName(ledger),
  ]);
  if (exists.rows[0]?.found) return;
  await lockDdl(session);
  await ensureSchema(session, ledger.schema);
  await session.query(ledgerDdl(ledger));
}

/**
 * Takes the run's ledger row lock until the transaction ends: inserts the row when it is the
 * run's first delivery, then locks it. A concurrent delivery of the same run waits here and then
 * sees the first one's outcome. `attempts` counts the deliveries that reached commit (the load, then each no-op redelivery).
 */
export async function lockRun(session: SqlSession, ledger: TableName, run: LedgerRun): Promise<LedgerEntry> {
  const table = qualifiedName(ledger);
  await session.query(
    `INSERT INTO ${table} (run_id, dataset, object_bucket, object_key, object_version_id, object_etag, target_table, contract_version, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')
     ON CONFLICT (run_id) DO NOTHING`,
    [
      run.runId,
      run.dataset,
      run.objectBucket,
      run.objectKey,
      run.objectVersionId ?? null,
      run.objectETag ?? null,
      run.table,
      run.contractVersion,
    ],
  );
  // UPDATE locks the row exactly as SELECT … FOR UPDATE would (and, under READ COMMITTED,
  // re-reads it after a concurrent delivery commits), and counts this delivery in one round trip.
  const locked = await session.query<LedgerRow>(
    `UPDATE ${table} SET attempts = attempts + 1 WHERE run_id = $1
     RETURNING run_id, status, target_table, rows_staged, inserted, updated, unchanged, attempts, loaded_at`,
    [run.runId],
  );
  const row = locked.rows[0];
  if (!row) throw new Error(`ledger row of run ${run.runId} vanished after insert`);
  return toEntry(row);
}

/** Marks the locked run loaded with its counts. */
export async function markLoaded(
  session: SqlSession,
  ledger: TableName,
  run: LedgerRun,
  counts: { rowsStaged: number; inserted: number; updated: number; unchanged: number },
): Promise<void> {
  await session.query(
    `UPDATE ${qualifiedName(ledger)}
        SET status = 'loaded', rows_staged = $2, inserted = $3, updated = $4, unchanged = $5,
            target_table = $6, contract_version = $7, loaded_at = now()
      WHERE run_id = $1`,
    [
      run.runId,
      counts.rowsStaged,
      counts.inserted,
      counts.updated,
      counts.unchanged,
      run.table,
      run.contractVersion,
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
    `SELECT run_id, status, target_table, rows_staged, inserted, updated, unchanged, attempts, loaded_at
       FROM ${qualifiedName(ledger)} WHERE run_id = $1`,
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
    rowsStaged: Number(row.rows_staged ?? 0),
    inserted: Number(row.inserted ?? 0),
    updated: Number(row.updated ?? 0),
    unchanged: Number(row.unchanged ?? 0),
    attempts: Number(row.attempts),
    loadedAt: row.loaded_at === null ? null : new Date(row.loaded_at),
  };
}
