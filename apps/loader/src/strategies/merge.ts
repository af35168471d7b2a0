import { ContractError, FIELD_TYPES, type FieldSpec } from "@sluice/core";
import { LINEAGE_LINE_COLUMN, lineageUpdates, movedColumns } from "../lineage";
import type { LoadContext } from "../load-context";
import { lockAgainstWriters } from "../sluice-tables";
import { qualifiedName, quoteIdent } from "../sql";
import { STAGE_LINE, type StageTable } from "../staged-rows";
import { ensureTombstones } from "../tombstones";
import { stagedStrategy } from "./staged";
import { type LineRange, type MoveCounts, rangeFilter } from "./strategy";

type Counted = { inserted?: string | number; updated?: string | number; deleted?: string | number };

/**
 * The merge on the primary key, moving the staged rows (repeated keys already resolved) with:
 *
 * - `INSERT … ON CONFLICT (pk) DO UPDATE SET … WHERE ROW(t.…) IS DISTINCT FROM ROW(excluded.…)`:
 *   new keys are inserted, changed rows updated, identical rows not rewritten (their xmin stays).
 *   With `orderBy`, the update also needs `t.ob IS NULL OR t.ob <= excluded.ob`: a row is
 *   replaced only by one not older (a row without an order value is older than any with one).
 *   `xmax = 0` on a returned row tells an insert from an update; a CTE folds them to two counts.
 * - with `deleteWhen`, rows whose field equals the value delete the keyed row instead (with
 *   `orderBy`, only a row not newer than the delete), and with `orderBy` leave a tombstone (see
 *   `tombstones.ts`) that keeps an older upsert arriving later from bringing the row back. These
 *   loads lock the table against other writers, as they read it to decide.
 */
export const merge = stagedStrategy("merge", async (ctx, stage) => {
  await ctx.session.query("SELECT set_config('work_mem', $1, true)", [ctx.config.mergeWorkMem]);
  const { orderBy, deleteWhen } = ctx.contract.load;
  const key = ctx.contract.primaryKey ?? [];
  const q = quoteIdent;
  const on = (a: string, b: string) =>
    key.map((column) => `${a}.${q(column)} = ${b}.${q(column)}`).join(" AND ");
  const target = qualifiedName(ctx.table.name);
  const params: unknown[] = [];
  let deletes: ((filter: string, p: unknown[]) => Promise<number>) | undefined;
  let notDelete = "";
  let notBuried = "";
  let exhume: ((filter: string, p: unknown[]) => Promise<void>) | undefined;
  if (deleteWhen) {
    await lockAgainstWriters(ctx.session, ctx.table.name);
    params.push(await deleteValue(ctx, deleteWhen));
    const field = `s.${q(deleteWhen.field)}`;
    notDelete = ` AND ${field} IS DISTINCT FROM $1`;
    const tombstones = orderBy ? await ensureTombstones(ctx, orderBy) : undefined;
    const ob = orderBy ? q(orderBy) : "";
    deletes = async (filter, p) => {
      const notNewer = orderBy ? ` AND (t.${ob} IS NULL OR t.${ob} <= s.${ob})` : "";
      const gone = await ctx.session.query<Counted>(
        `WITH gone AS (
           DELETE FROM ${target} t USING ${stage.name} s
            WHERE ${on("t", "s")} AND ${field} = $1${notNewer}${filter}
           RETURNING 1)
         SELECT count(*) AS deleted FROM gone`,
        p,
      );
      if (tombstones) await bury(ctx, stage, tombstones, `${field} = $1${filter}`, p);
      return Number(gone.rows[0]?.deleted ?? 0);
    };
    if (tombstones) {
      notBuried = ` AND NOT EXISTS (SELECT 1 FROM ${tombstones} d WHERE ${on("d", "s")} AND (s.${ob} IS NULL OR d.${ob} >= s.${ob}))`;
      exhume = async (filter, p) => {
        await ctx.session.query(
          `DELETE FROM ${tombstones} d USING ${stage.name} s
            WHERE ${on("d", "s")}${notDelete} AND s.${ob} IS NOT NULL AND (d.${ob} IS NULL OR d.${ob} < s.${ob})${filter}`,
          p,
        );
      };
    }
  }

  const columns = movedColumns(ctx);
  const others = columns.filter((column) => !key.includes(column) && column !== LINEAGE_LINE_COLUMN);
  const newer = orderBy ? `(t.${q(orderBy)} IS NULL OR t.${q(orderBy)} <= EXCLUDED.${q(orderBy)}) AND ` : "";
  const conflict =
    others.length === 0
      ? "DO NOTHING"
      : `DO UPDATE SET ${[...others.map((c) => `${q(c)} = EXCLUDED.${q(c)}`), ...lineageUpdates(ctx)].join(", ")}
         WHERE ${newer}ROW(${others.map((c) => `t.${q(c)}`).join(", ")})
               IS DISTINCT FROM ROW(${others.map((c) => `EXCLUDED.${q(c)}`).join(", ")})`;
  const upsert = (filter: string) => `WITH merged AS (
      INSERT INTO ${target} AS t (${columns.map(q).join(", ")})
      SELECT ${columns.map((c) => `s.${q(c)}`).join(", ")} FROM ${stage.name} s
       WHERE true${notDelete}${notBuried}${filter}
      ON CONFLICT (${key.map(q).join(", ")}) ${conflict}
      RETURNING (t.xmax = 0) AS inserted)
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
      FROM merged`;

  return async (range?: LineRange): Promise<MoveCounts> => {
    const p = [...params];
    const filter = rangeFilter(`s.${STAGE_LINE}`, range, p);
    const deleted = deletes ? await deletes(filter, p) : 0;
    const merged = await ctx.session.query<Counted>(upsert(filter), p);
    if (exhume) await exhume(filter, p);
    const row = merged.rows[0];
    return { inserted: Number(row?.inserted ?? 0), updated: Number(row?.updated ?? 0), deleted };
  };
});

/**
 * Keeps a tombstone for every key a delete row of this move names that the table no longer
 * holds, with the newest delete's order value.
 */
async function bury(
  ctx: LoadContext,
  stage: StageTable,
  tombstones: string,
  where: string,
  params: unknown[],
): Promise<void> {
  const key = ctx.contract.primaryKey ?? [];
  const orderBy = ctx.contract.load.orderBy as string;
  const q = quoteIdent;
  const columns = key.includes(orderBy) ? key : [...key, orderBy];
  const newer = key.includes(orderBy)
    ? "DO NOTHING"
    : `DO UPDATE SET ${q(orderBy)} = EXCLUDED.${q(orderBy)}, deleted_by_run = EXCLUDED.deleted_by_run, deleted_at = now()
        WHERE d.${q(orderBy)} IS NULL OR d.${q(orderBy)} < EXCLUDED.${q(orderBy)}`;
  await ctx.session.query(
    `INSERT INTO ${tombstones} AS d (${columns.map(q).join(", ")})
     SELECT ${columns.map((c) => `s.${q(c)}`).join(", ")} FROM ${stage.name} s
      WHERE ${where}
        AND NOT EXISTS (SELECT 1 FROM ${qualifiedName(ctx.table.name)} t WHERE ${key.map((c) => `t.${q(c)} = s.${q(c)}`).join(" AND ")})
     ON CONFLICT (${key.map(q).join(", ")}) ${newer}`,
    params,
  );
}

/**
 * The `deleteWhen` value as the field's column reads it; a value the column cannot read (e.g.
 * `"yes"` for an integer field) is a contract error, not a reason to refuse every row.
 */
async function deleteValue(
  ctx: LoadContext,
  deleteWhen: { field: string; equals: string | number | boolean },
): Promise<string> {
  const field = ctx.contract.fields.find((f) => f.name === deleteWhen.field) as FieldSpec;
  const type = FIELD_TYPES[field.type];
  try {
    const result = await ctx.session.query<{ value: string }>(
      `SELECT CAST($1::text AS ${type})::text AS value`,
      [String(deleteWhen.equals)],
    );
    return result.rows[0]?.value ?? String(deleteWhen.equals);
  } catch (cause) {
    throw new ContractError(
      `contract ${ctx.contract.name} v${ctx.contract.version}: load.deleteWhen.equals ${JSON.stringify(deleteWhen.equals)} is not a ${field.type} value for field ${field.name}`,
      { dataset: ctx.contract.name, field: field.name },
      { cause },
    );
  }
}
