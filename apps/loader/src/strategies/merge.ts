import { columnsOf } from "@sluice/core";
import { identList, qualifiedName, quoteIdent } from "../sql";
import type { LoadStrategy } from "./strategy";

/**
 * The upsert that fits every run: merges the temporary table into the target with one
 * `INSERT … SELECT DISTINCT ON (pk) … ON CONFLICT (pk) DO UPDATE … WHERE (row) IS DISTINCT FROM
 * (excluded row)`. New keys are inserted, changed rows updated, identical rows not rewritten
 * (their xmin stays). The last occurrence of a key in the file wins (ctid order of a freshly
 * copied temporary table is file order). `xmax = 0` on a returned row tells an insert from an
 * update; the CTE folds them to two counts so a million-row load returns one row, not a million.
 */
export const merge: LoadStrategy = {
  name: "merge",
  async attempt(ctx) {
    const staged = await ctx.stageTable();
    await ctx.session.query("SELECT set_config('work_mem', $1, true)", [ctx.config.mergeWorkMem]);
    const columns = columnsOf(ctx.contract);
    const key = ctx.contract.primaryKey ?? [];
    const others = columns.filter((column) => !key.includes(column));
    const keyList = identList(key);
    const conflict =
      others.length === 0
        ? "DO NOTHING"
        : `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(", ")}
           WHERE ROW(${others.map((c) => `t.${quoteIdent(c)}`).join(", ")})
                 IS DISTINCT FROM ROW(${others.map((c) => `EXCLUDED.${quoteIdent(c)}`).join(", ")})`;
    const sql = `WITH merged AS (
        INSERT INTO ${qualifiedName(ctx.table.name)} AS t (${identList(columns)})
        SELECT DISTINCT ON (${keyList}) ${identList(columns)}
          FROM ${staged.name}
         ORDER BY ${keyList}, ctid DESC
        ON CONFLICT (${keyList}) ${conflict}
        RETURNING (t.xmax = 0) AS inserted
      )
      SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
        FROM merged`;
    const result = await ctx.session.query<{ inserted: string | number; updated: string | number }>(sql);
    const row = result.rows[0];
    const inserted = Number(row?.inserted ?? 0);
    const updated = Number(row?.updated ?? 0);
    return { rowsStaged: staged.rows, inserted, updated, unchanged: staged.rows - inserted - updated };
  },
};
