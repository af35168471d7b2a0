import { MAX_REJECTED_VALUE_LENGTH, type Rejection } from "@sluice/core";
import { type LoadContext, lineLabel } from "./load-context";
import { identList, quoteIdent } from "./sql";
import { STAGE_LINE, type StageTable } from "./staged-rows";

const REPEATS_TABLE = quoteIdent("sluice_repeated_rows");

/**
 * Resolves keys that repeat within the staged file by the contract's `onDuplicateKey`, before
 * any row moves, and returns how many rows repeated an earlier row's key (0 without a primary key).
 *
 * One row per key stays in the stage table:
 * - `last` / `first`: the occurrence with the highest `orderBy` value when the contract orders
 *   rows (the newest wins), ties and unordered files by line: the last, or the first;
 * - `reject`: the first occurrence; every repeat becomes a rejection naming the key and the
 *   first occurrence's line.
 * The others are deleted from the stage table, so every move sees each key once.
 */
export async function resolveRepeatedKeys(ctx: LoadContext, stage: StageTable): Promise<number> {
  const key = ctx.contract.primaryKey;
  if (!key) return 0;
  const keys = identList(key);
  // count(DISTINCT) sorts the keys: on a million rows several times faster than GROUP BY … HAVING.
  const distinct = key.length === 1 ? keys : `(${keys})`;
  const counted = await ctx.session.query<{ repeats: string | number | null }>(
    `SELECT count(*) - count(DISTINCT ${distinct}) AS repeats FROM ${stage.name}`,
  );
  const repeats = Number(counted.rows[0]?.repeats ?? 0);
  if (repeats === 0) return 0;

  const { onDuplicateKey, orderBy } = ctx.contract.load;
  const byLine = `${STAGE_LINE} ${onDuplicateKey === "last" ? "DESC" : "ASC"}`;
  const winnerFirst =
    orderBy && onDuplicateKey !== "reject" ? `${quoteIdent(orderBy)} DESC NULLS LAST, ${byLine}` : byLine;
  await ctx.session.query(
    `CREATE TEMP TABLE ${REPEATS_TABLE} ON COMMIT DROP AS
     SELECT line, first_line FROM (
       SELECT ${STAGE_LINE} AS line,
              row_number() OVER (PARTITION BY ${keys} ORDER BY ${winnerFirst}) AS rank,
              min(${STAGE_LINE}) OVER (PARTITION BY ${keys}) AS first_line
         FROM ${stage.name}) ranked
      WHERE rank > 1`,
  );
  if (onDuplicateKey === "reject") {
    ctx.rejections.addCounted(repeats, await repeatRejections(ctx, stage, key));
  }
  await ctx.session.query(
    `DELETE FROM ${stage.name} s USING ${REPEATS_TABLE} r WHERE s.${STAGE_LINE} = r.line`,
  );
  await ctx.session.query(`DROP TABLE ${REPEATS_TABLE}`);
  ctx.logger.info("keys repeated within the file", { repeats, onDuplicateKey });
  return repeats;
}

/** The first `maxRejectionsKept` repeats as rejections, in line order. */
async function repeatRejections(
  ctx: LoadContext,
  stage: StageTable,
  key: readonly string[],
): Promise<Rejection[]> {
  const values = key.map((column) => `s.${quoteIdent(column)}::text`).join(", ");
  const result = await ctx.session.query<{ line: string; first_line: string; value: string }>(
    `SELECT r.line::text AS line, r.first_line::text AS first_line, concat_ws(', ', ${values}) AS value
       FROM ${REPEATS_TABLE} r JOIN ${stage.name} s ON s.${STAGE_LINE} = r.line
      ORDER BY r.line LIMIT $1`,
    [ctx.config.maxRejectionsKept],
  );
  const field = key.join(", ");
  return result.rows.map((row) => ({
    line: Number(row.line),
    field,
    reason: `duplicate key (${field})=(${row.value}) (first at ${lineLabel(ctx, Number(row.first_line))})`,
    value: row.value.slice(0, MAX_REJECTED_VALUE_LENGTH),
  }));
}
