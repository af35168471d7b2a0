import type { SqlSession } from "@sluice/core";
import { qualifiedName, type TableName } from "../sql";
import { copyStagedRows } from "../staged-rows";
import { unlessKeyExists } from "./savepoint";
import type { LoadStrategy } from "./strategy";

const SAVEPOINT = "sluice_direct_copy";

async function isEmpty(session: SqlSession, table: TableName): Promise<boolean> {
  const result = await session.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${qualifiedName(table)}) AS empty`,
  );
  return result.rows[0]?.empty === true;
}

/**
 * The fast path for an empty table (a first load, a full refresh): COPY straight into it, no
 * temporary table, every row an insert. Does not fit a table that holds rows; rolls back to a
 * savepoint and does not fit when a key repeats within the file or a concurrent load committed
 * the same key first.
 */
export const directCopy: LoadStrategy = {
  name: "direct-copy",
  async attempt(ctx) {
    if (!ctx.table.created && !(await isEmpty(ctx.session, ctx.table.name))) return undefined;
    return unlessKeyExists(ctx.session, SAVEPOINT, async () => {
      const copied = await copyStagedRows(ctx, qualifiedName(ctx.table.name), { hasLineColumn: false });
      return { rowsStaged: copied, inserted: copied, updated: 0, unchanged: 0 };
    });
  },
};
