import { columnsOf } from "@sluice/core";
import { identList, qualifiedName } from "../sql";
import { unlessKeyExists } from "./savepoint";
import type { LoadStrategy } from "./strategy";

const SAVEPOINT = "sluice_insert_new";

/**
 * An append of new keys: a plain `INSERT … SELECT` from the temporary table, without the
 * upsert's per-row conflict handling. Rolls back to a savepoint and does not fit when a key is
 * already in the table or repeats within the file (the first one fails it at once).
 */
export const plainInsert: LoadStrategy = {
  name: "insert",
  async attempt(ctx) {
    const staged = await ctx.stageTable();
    const columns = identList(columnsOf(ctx.contract));
    return unlessKeyExists(ctx.session, SAVEPOINT, async () => {
      const result = await ctx.session.query(
        `INSERT INTO ${qualifiedName(ctx.table.name)} (${columns}) SELECT ${columns} FROM ${staged.name}`,
      );
      const inserted = result.rowCount;
      return { rowsStaged: staged.rows, inserted, updated: 0, unchanged: staged.rows - inserted };
    });
  },
};
