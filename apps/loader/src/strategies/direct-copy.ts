import type { SqlSession } from "@sluice/core";
import { qualifiedName, type TableName } from "../sql";
import { copyStagedRows } from "../staged-rows";
import { unlessRefused } from "./savepoint";
import { type LoadStrategy, noCounts } from "./strategy";

const SAVEPOINT = "sluice_direct_copy";

async function isEmpty(session: SqlSession, table: TableName): Promise<boolean> {
  const result = await session.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${qualifiedName(table)}) AS empty`,
  );
  return result.rows[0]?.empty === true;
}

/**
 * The fast path: COPY the staged rows straight into the target table, no temporary table, every
 * row an insert (the lineage run id from the column's default, the line from the staged rows),
 * at raw COPY speed. An append always takes it, a replace once the table is emptied; a merge
 * only into an empty table (a first load, a full refresh). Rolls back to a savepoint and does
 * not fit when the table refuses a row: a key repeated within the file or committed meanwhile
 * by another load, a constraint, a trigger. The staged strategy after it then sorts that out.
 */
export const directCopy: LoadStrategy = {
  name: "direct-copy",
  async attempt(ctx) {
    if (
      ctx.contract.load.mode === "merge" &&
      !ctx.table.created &&
      !(await isEmpty(ctx.session, ctx.table.name))
    ) {
      return undefined;
    }
    return unlessRefused(ctx.session, SAVEPOINT, async () => {
      const copied = await copyStagedRows(ctx, qualifiedName(ctx.table.name), {
        lines: ctx.contract.load.lineage,
      });
      return { ...noCounts(copied), inserted: copied };
    });
  },
};
