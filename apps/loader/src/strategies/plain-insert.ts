import { movedColumns } from "../lineage";
import { identList, qualifiedName } from "../sql";
import { unlessRefused } from "./savepoint";
import { type LoadStrategy, noCounts } from "./strategy";

const SAVEPOINT = "sluice_insert_new";

/**
 * A merge of new keys only: a plain `INSERT … SELECT` from the temporary table, without the
 * upsert's per-row conflict handling. Rolls back to a savepoint and does not fit when a key is
 * already in the table or repeats within the file (the first one fails it at once), or the
 * table refuses a row (the merge then rejects just that row).
 */
export const plainInsert: LoadStrategy = {
  name: "insert",
  async attempt(ctx) {
    const staged = await ctx.stageTable();
    const columns = identList(movedColumns(ctx));
    return unlessRefused(ctx.session, SAVEPOINT, async () => {
      const result = await ctx.session.query(
        `INSERT INTO ${qualifiedName(ctx.table.name)} (${columns}) SELECT ${columns} FROM ${staged.name}`,
      );
      const inserted = result.rowCount;
      return { ...noCounts(staged.rows), inserted, unchanged: staged.rows - inserted };
    });
  },
};
