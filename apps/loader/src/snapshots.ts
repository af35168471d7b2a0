import { FIELD_TYPES, formatObjectRef, type ObjectRef } from "@sluice/core";
import type { LoadContext } from "./load-context";
import { ensureLoaderTable, lockAgainstWriters } from "./sluice-tables";
import { displayName, qualifiedName, quoteIdent, type TableName } from "./sql";

/** Why a snapshot was not loaded: it is older than the one the table holds. */
export const OLDER_SNAPSHOT = "older-snapshot";

/**
 * The watermarks of `replace` loads, in the loader's schema: per target table and raw object,
 * the S3 sequencer and the `orderBy` maximum of the last snapshot loaded from it.
 */
export function watermarkTableOf(schema: string): TableName {
  return { schema, table: "snapshot_watermarks" };
}

interface Watermark {
  object_bucket: string;
  object_key: string;
  sequencer: string | null;
  order_value: string | null;
}

/** S3 sequencers order events of one key: hex strings compared by length, then lexically. */
export function compareSequencers(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What a `replace` load checks before and after putting the snapshot in. `begin` locks the
 * table against other writers (readers go on) and reads the watermarks; `olderBySequencer` and
 * `olderByOrder` say, in a sentence, why the snapshot is older than one already loaded;
 * `record` keeps this one's watermark.
 */
export async function openSnapshotCheck(ctx: LoadContext) {
  const name = watermarkTableOf(ctx.config.ledgerSchema);
  const table = qualifiedName(name);
  const target = displayName(ctx.table.name);
  await lockAgainstWriters(ctx.session, ctx.table.name);
  await ensureLoaderTable(
    ctx.session,
    name,
    `CREATE TABLE IF NOT EXISTS ${table} (
       target_table text NOT NULL,
       object_bucket text NOT NULL,
       object_key text NOT NULL,
       sequencer text,
       order_value text,
       run_id text NOT NULL,
       loaded_at timestamptz NOT NULL DEFAULT now(),
       PRIMARY KEY (target_table, object_bucket, object_key))`,
  );
  const marks = (
    await ctx.session.query<Watermark>(
      `SELECT object_bucket, object_key, sequencer, order_value FROM ${table} WHERE target_table = $1`,
      [target],
    )
  ).rows;
  const object: ObjectRef = ctx.run.object;
  const { orderBy } = ctx.contract.load;
  const orderType = orderBy
    ? FIELD_TYPES[ctx.contract.fields.find((field) => field.name === orderBy)?.type ?? "string"]
    : "text";

  return {
    /** Another version of the same object loaded with a later S3 sequencer. */
    olderBySequencer(): string | undefined {
      const mark = marks.find((m) => m.object_bucket === object.bucket && m.object_key === object.key);
      if (!mark?.sequencer || !object.sequencer || compareSequencers(object.sequencer, mark.sequencer) >= 0) {
        return undefined;
      }
      return `snapshot ${formatObjectRef(object)} (sequencer ${object.sequencer}) is older than the version of it already loaded into ${target} (sequencer ${mark.sequencer}); skipped`;
    },
    /** The largest `orderBy` value of the rows now in the table, or null. */
    async orderValueInTable(): Promise<string | null> {
      if (!orderBy) return null;
      const result = await ctx.session.query<{ value: string | null }>(
        `SELECT max(${quoteIdent(orderBy)})::text AS value FROM ${qualifiedName(ctx.table.name)}`,
      );
      return result.rows[0]?.value ?? null;
    },
    /** A snapshot whose `orderBy` maximum is below the largest one loaded before. */
    async olderByOrder(value: string): Promise<string | undefined> {
      const result = await ctx.session.query<{ newest: string | null; older: boolean | null }>(
        `SELECT max(order_value::${orderType})::text AS newest, $1::${orderType} < max(order_value::${orderType}) AS older
           FROM ${table} WHERE target_table = $2`,
        [value, target],
      );
      const row = result.rows[0];
      if (!row?.older) return undefined;
      return `snapshot ${formatObjectRef(object)} is older than the one loaded into ${target}: its newest ${orderBy} is ${value}, the table's was ${row.newest}; skipped`;
    },
    /** Keeps this snapshot's watermark. */
    async record(orderValue: string | null): Promise<void> {
      await ctx.session.query(
        `INSERT INTO ${table} (target_table, object_bucket, object_key, sequencer, order_value, run_id)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (target_table, object_bucket, object_key)
         DO UPDATE SET sequencer = EXCLUDED.sequencer, order_value = EXCLUDED.order_value,
                       run_id = EXCLUDED.run_id, loaded_at = now()`,
        [target, object.bucket, object.key, object.sequencer ?? null, orderValue, ctx.run.runId],
      );
    },
  };
}

/** Empties the target table for a snapshot (`replaceBy`) and returns how many rows it held. */
export async function emptyTable(ctx: LoadContext): Promise<number> {
  const table = qualifiedName(ctx.table.name);
  if (ctx.config.replaceBy === "delete") return (await ctx.session.query(`DELETE FROM ${table}`)).rowCount;
  const count = await ctx.session.query<{ rows: string | number }>(`SELECT count(*) AS rows FROM ${table}`);
  await ctx.session.query(`TRUNCATE ${table}`);
  return Number(count.rows[0]?.rows ?? 0);
}
