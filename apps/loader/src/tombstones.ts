import { createHash } from "node:crypto";
import { FIELD_TYPES, type FieldSpec } from "@sluice/core";
import { LINEAGE_RUN_ID_DEFAULT } from "./lineage";
import type { LoadContext } from "./load-context";
import { ensureLoaderTable } from "./sluice-tables";
import { identList, qualifiedName, quoteIdent, type TableName } from "./sql";

/** Longest Postgres identifier (bytes; names here are ASCII). */
const MAX_IDENTIFIER = 63;

/**
 * The tombstone table of a target table, in the loader's schema: `tombstones__<schema>__<table>`
 * (cut, with a hash of the full name, when longer than an identifier may be).
 *
 * A tombstone is a key a `deleteWhen` row deleted (or found absent) with that row's `orderBy`
 * value. An upsert of the key is applied only when it is newer than its tombstone (a delete wins
 * a tie), so a file older than the delete, arriving after it, cannot bring the row back: files
 * give the same table in any order. Tombstones are kept only for contracts with both `orderBy`
 * and `deleteWhen` (without an order there is no "older" to compare) and while the contract has them.
 */
export function tombstoneTableOf(schema: string, target: TableName): TableName {
  const table = `tombstones__${target.schema}__${target.table}`;
  if (table.length <= MAX_IDENTIFIER) return { schema, table };
  const hash = createHash("sha256").update(table).digest("hex").slice(0, 12);
  return { schema, table: `${table.slice(0, MAX_IDENTIFIER - hash.length - 1)}_${hash}` };
}

/** Creates the target's tombstone table when missing and returns its quoted name. */
export async function ensureTombstones(ctx: LoadContext, orderBy: string): Promise<string> {
  const name = tombstoneTableOf(ctx.config.ledgerSchema, ctx.table.name);
  const key = ctx.contract.primaryKey ?? [];
  const fieldNamed = (column: string) =>
    ctx.contract.fields.find((field) => field.name === column) as FieldSpec;
  const columns = [...key, ...(key.includes(orderBy) ? [] : [orderBy])].map(
    (column) =>
      `${quoteIdent(column)} ${FIELD_TYPES[fieldNamed(column).type]}${key.includes(column) ? " NOT NULL" : ""}`,
  );
  await ensureLoaderTable(
    ctx.session,
    name,
    `CREATE TABLE IF NOT EXISTS ${qualifiedName(name)} (
       ${columns.join(", ")},
       deleted_by_run text DEFAULT ${LINEAGE_RUN_ID_DEFAULT},
       deleted_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (${identList(key)}))`,
  );
  return qualifiedName(name);
}
