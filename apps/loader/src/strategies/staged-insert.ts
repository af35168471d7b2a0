import { movedColumns } from "../lineage";
import { identList, qualifiedName } from "../sql";
import { STAGE_LINE } from "../staged-rows";
import { stagedStrategy } from "./staged";
import { rangeFilter } from "./strategy";

/**
 * Adds the staged rows to the table with `INSERT … SELECT` from the stage table (the lineage
 * run id from the column's default): the way append and replace loads take when the straight
 * COPY was refused, so the row isolation can reject the rows at fault and insert the rest.
 */
export const stagedInsert = stagedStrategy("staged-insert", async (ctx, stage) => {
  const columns = identList(movedColumns(ctx));
  const target = qualifiedName(ctx.table.name);
  return async (range) => {
    const params: unknown[] = [];
    const filter = rangeFilter(STAGE_LINE, range, params);
    const result = await ctx.session.query(
      `INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${stage.name} WHERE true${filter}`,
      params,
    );
    return { inserted: result.rowCount, updated: 0, deleted: 0 };
  };
});
