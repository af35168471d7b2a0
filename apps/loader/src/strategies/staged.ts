import type { LoadContext } from "../load-context";
import { resolveRepeatedKeys } from "../repeated-keys";
import { moveIsolatingRefusals } from "../row-isolation";
import type { StageTable } from "../staged-rows";
import type { LineRange, LoadStrategy, MoveCounts } from "./strategy";

/**
 * Prepares a move of the staged rows into the target table (takes its locks, builds its SQL)
 * and returns it: `move(range)` moves the rows whose line is in `range`, or all of them.
 */
export type PrepareMove = (
  ctx: LoadContext,
  stage: StageTable,
) => Promise<(range?: LineRange) => Promise<MoveCounts>>;

/**
 * A strategy that goes through the stage table, whatever its SQL: copies the staged rows there,
 * resolves keys repeated within the file (`onDuplicateKey`), then runs the prepared move under
 * the row isolation, so a row the table refuses is rejected alone and the rest moves. It always
 * fits: it ends a mode's list of strategies.
 */
export function stagedStrategy(name: string, prepare: PrepareMove): LoadStrategy {
  return {
    name,
    async attempt(ctx) {
      const stage = await ctx.stageTable();
      const repeats = await resolveRepeatedKeys(ctx, stage);
      const move = await prepare(ctx, stage);
      const moved = await moveIsolatingRefusals(ctx, stage, move);
      const rejected = ctx.rejections.count;
      return {
        rowsStaged: stage.rows,
        ...moved,
        unchanged: stage.rows - moved.inserted - moved.updated - moved.deleted - rejected,
        repeats,
        rejected,
      };
    },
  };
}
