import {
  createEvent,
  type EventData,
  isRunId,
  LINEAGE_RUN_ID_COLUMN,
  type SluiceEvent,
  type SqlSession,
} from "@sluice/core";
import { loaderConfig } from "./config";
import { UnloadRefusedError } from "./errors";
import { LEDGER_STATUS_CHECK, type LedgerStatus, ledgerStatusCheckSql, ledgerTableOf } from "./ledger";
import { LOADER_SOURCE, type LoaderDeps } from "./load-outcome";
import { lockDdl, readTableColumns } from "./schema";
import { displayName, qualifiedName, quoteIdent, splitTableName, type TableName } from "./sql";

/** The ports {@link unloadRun} works through. */
export type UnloadDeps = Pick<LoaderDeps, "target" | "publisher" | "logger" | "config">;

/** One run whose rows were taken out of its table. */
export interface UnloadedRun {
  runId: string;
  dataset: string;
  /** Schema-qualified table the rows were deleted from. */
  table: string;
  /** Rows deleted: those whose `_sluice_run_id` names the run. */
  deleted: number;
  /** The `sluice.object.unloaded` event published. */
  event: SluiceEvent<"sluice.object.unloaded">;
}

interface LedgerRow {
  run_id: string;
  dataset: string;
  object_bucket: string;
  object_key: string;
  object_version_id: string | null;
  object_etag: string | null;
  target_table: string;
  status: LedgerStatus;
}

/**
 * Takes loaded rows back out of their table: `which` is a run id, or an object key (every loaded
 * run of that key). In ONE transaction, with the runs' ledger rows locked (a concurrent delivery
 * of the same run waits): deletes each run's rows by the lineage column `_sluice_run_id` and
 * marks its ledger row `unloaded` with the time and the count; then publishes one
 * `sluice.object.unloaded` per run. A later delivery or replay of the run loads it again.
 *
 * With load mode `merge`, a row belongs to the run that last wrote it: rows a later run updated
 * carry that run's id and stay.
 *
 * @throws UnloadRefusedError when the ledger knows no such run or key (`unknown-run`), none of
 *   its runs is loaded (`not-loaded`), the table is gone (`no-table`) or has no lineage column
 *   (`no-lineage`); nothing is changed then.
 */
export async function unloadRun(which: string, deps: UnloadDeps): Promise<UnloadedRun[]> {
  const config = loaderConfig(deps.config);
  const ledger = ledgerTableOf(config.ledgerSchema);
  const unloaded = await deps.target.transaction(async (session) => {
    await session.query("SELECT set_config('lock_timeout', $1, true)", [`${config.lockTimeoutMs}ms`]);
    const runs = await lockLedgerRows(session, ledger, which);
    const loaded = runs.filter((run) => run.status === "loaded");
    if (loaded.length === 0) {
      throw new UnloadRefusedError(
        "not-loaded",
        `nothing to unload for ${which}: ${runs.map((run) => `run ${run.run_id} is ${run.status}`).join(", ")}`,
        { which, runs: runs.map((run) => ({ runId: run.run_id, status: run.status })) },
      );
    }
    const done: { run: LedgerRow; deleted: number }[] = [];
    for (const run of loaded) {
      const table = splitTableName(run.target_table, "public");
      await requireLineage(session, table, run.run_id);
      const deleted = await session.query(
        `DELETE FROM ${qualifiedName(table)} WHERE ${quoteIdent(LINEAGE_RUN_ID_COLUMN)} = $1`,
        [run.run_id],
      );
      await session.query(
        `UPDATE ${qualifiedName(ledger)} SET status = 'unloaded', unloaded_at = now(), rows_unloaded = $2 WHERE run_id = $1`,
        [run.run_id, deleted.rowCount],
      );
      done.push({ run, deleted: deleted.rowCount });
    }
    return done;
  });
  const outcomes: UnloadedRun[] = [];
  for (const { run, deleted } of unloaded) {
    const event = createEvent("sluice.object.unloaded", LOADER_SOURCE, unloadedData(run, deleted));
    await deps.publisher.publish(event);
    deps.logger.info("unloaded", {
      runId: run.run_id,
      dataset: run.dataset,
      table: run.target_table,
      deleted,
    });
    outcomes.push({ runId: run.run_id, dataset: run.dataset, table: run.target_table, deleted, event });
  }
  return outcomes;
}

/** The ledger rows of `which` (a run id, or every run of an object key), locked until commit. */
async function lockLedgerRows(session: SqlSession, ledger: TableName, which: string): Promise<LedgerRow[]> {
  const unknown = () =>
    new UnloadRefusedError("unknown-run", `no run of ${which} in the load ledger: it was never loaded`, {
      which,
    });
  const found = await session.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [
    qualifiedName(ledger),
  ]);
  if (!found.rows[0]?.found) throw unknown();
  await ensureUnloadColumns(session, ledger);
  const result = await session.query<LedgerRow>(
    `SELECT run_id, dataset, object_bucket, object_key, object_version_id, object_etag, target_table, status
       FROM ${qualifiedName(ledger)}
      WHERE ${isRunId(which) ? "run_id" : "object_key"} = $1
      ORDER BY first_seen_at, run_id
        FOR UPDATE`,
    [which],
  );
  if (result.rows.length === 0) throw unknown();
  return result.rows;
}

/**
 * A ledger created before unloads existed lacks `unloaded_at` / `rows_unloaded` and allows only
 * `pending` and `loaded`: brought up to date once, under the DDL lock.
 */
async function ensureUnloadColumns(session: SqlSession, ledger: TableName): Promise<void> {
  const probe = await session.query(
    "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'unloaded_at' AND NOT attisdropped",
    [qualifiedName(ledger)],
  );
  if (probe.rowCount > 0) return;
  await lockDdl(session);
  await session.query(
    `ALTER TABLE ${qualifiedName(ledger)}
       ADD COLUMN IF NOT EXISTS unloaded_at timestamptz,
       ADD COLUMN IF NOT EXISTS rows_unloaded bigint,
       DROP CONSTRAINT IF EXISTS ${LEDGER_STATUS_CHECK},
       ADD ${ledgerStatusCheckSql()}`,
  );
}

async function requireLineage(session: SqlSession, table: TableName, runId: string): Promise<void> {
  const columns = await readTableColumns(session, table);
  const name = displayName(table);
  if (columns.length === 0)
    throw new UnloadRefusedError("no-table", `table ${name}, which run ${runId} was loaded into, is gone`, {
      table: name,
      runId,
    });
  if (!columns.some((column) => column.name === LINEAGE_RUN_ID_COLUMN))
    throw new UnloadRefusedError(
      "no-lineage",
      `table ${name} has no ${LINEAGE_RUN_ID_COLUMN} column, so the rows of run ${runId} cannot be told from others; unload needs the contract's load.lineage (on by default for append and replace)`,
      { table: name, runId },
    );
}

function unloadedData(run: LedgerRow, deleted: number): EventData<"sluice.object.unloaded"> {
  const object: EventData<"sluice.object.unloaded">["object"] = {
    bucket: run.object_bucket,
    key: run.object_key,
  };
  if (run.object_version_id !== null) object.versionId = run.object_version_id;
  if (run.object_etag !== null) object.eTag = run.object_etag;
  return { runId: run.run_id, object, dataset: run.dataset, table: run.target_table, deleted };
}
