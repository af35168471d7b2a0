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
 * True when a merge may try the straight COPY: into an empty table (a first load, a full
 * refresh) always; into one that holds rows when the object is small enough that a COPY refused
 * late (a key the table holds) wastes little (`directCopyIntoTableMaxBytes`). The table's
 * primary key refuses every key it already holds, so a COPY that fits inserted only new keys:
 * what the merge would have done.
 */
async function mergeMayCopy(ctx: Parameters<LoadStrategy["attempt"]>[0]): Promise<boolean> {
  if (ctx.table.created) return true;
  if (ctx.run.object.size <= ctx.config.directCopyIntoTableMaxBytes) return true;
  return isEmpty(ctx.session, ctx.table.name);
}

/**
 * The fast path: COPY the staged rows straight into the target table, no temporary table, every
 * row an insert (the lineage run id from the column's default, the line from the staged rows),
 * at raw COPY speed. An append always takes it, a replace once the table is emptied; a merge
 * into an empty table, or a small object into any ({@link mergeMayCopy}). Rolls back to a
 * savepoint and does not fit when the table refuses a row: a key it already holds, a key
 * repeated within the file or committed meanwhile by another load, a constraint, a trigger. The
 * strategies after it then sort that out.
 */
export const directCopy: LoadStrategy = {
  name: "direct-copy",
  async attempt(ctx) {
    if (ctx.contract.load.mode === "merge" && !(await mergeMayCopy(ctx))) return undefined;
    return unlessRefused(ctx.session, SAVEPOINT, async () => {
      const copied = await copyStagedRows(ctx, qualifiedName(ctx.table.name), {
        lines: ctx.contract.load.lineage,
      });
      return { ...noCounts(copied), inserted: copied };
    });
  },
};
