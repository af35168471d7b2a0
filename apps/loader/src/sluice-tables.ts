import type { SqlSession } from "@sluice/core";
import { ensureSchema, lockDdl } from "./schema";
import { qualifiedName, type TableName } from "./sql";

/**
 * Creates one of the loader's own tables (`ddl`, a `CREATE TABLE IF NOT EXISTS`) when it is
 * missing, under the DDL lock so two first loads cannot race; a catalogue read otherwise.
 */
export async function ensureLoaderTable(session: SqlSession, name: TableName, ddl: string): Promise<void> {
  const exists = await session.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [
    qualifiedName(name),
  ]);
  if (exists.rows[0]?.found) return;
  await lockDdl(session);
  await ensureSchema(session, name.schema);
  await session.query(ddl);
}

/**
 * Takes a lock on the target table that lets readers read but no other writer write until the
 * load commits (SHARE ROW EXCLUSIVE conflicts with itself and with every writer's ROW EXCLUSIVE).
 * Loads that read the table to decide what to write — a snapshot replacing it, deletes with
 * tombstones — take it so two of them cannot decide on the same stale view.
 */
export async function lockAgainstWriters(session: SqlSession, table: TableName): Promise<void> {
  await session.query(`LOCK TABLE ${qualifiedName(table)} IN SHARE ROW EXCLUSIVE MODE`);
}
