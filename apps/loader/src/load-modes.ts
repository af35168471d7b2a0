import { LINEAGE_RUN_ID_COLUMN } from "@sluice/core";
import type { LoadContext } from "./load-context";
import { emptyTable, OLDER_SNAPSHOT, openSnapshotCheck } from "./snapshots";
import { displayName, qualifiedName, quoteIdent } from "./sql";
import { loadWithFirstFitting, strategiesFor } from "./strategies";
import { type LoadCounts, noCounts } from "./strategies/strategy";

/** Why a reload of an append run without lineage loaded nothing. */
export const NO_LINEAGE = "no-lineage";

/** What loading a run by its contract's mode did. */
export interface ModeLoad {
  /** The counts, and `method`: the strategy that put the rows in (`none` when skipped). */
  counts: LoadCounts & { method: string };
  /** Set when the run put nothing in on purpose, with the reason code and a sentence. */
  skipped?: { reason: string; message: string };
}

/**
 * Loads the run by the contract's `load.mode`, inside the load's transaction:
 * - `merge`: the strategies of a merge (see `strategiesFor`);
 * - `append`: the rows are added; on a `reload` (the run was loaded under another contract)
 *   the run's earlier rows are first deleted through the lineage column, so they are never
 *   there twice. Without lineage they cannot be found: the reload is skipped and says so.
 * - `replace`: see {@link replaceSnapshot}.
 */
export async function loadByMode(ctx: LoadContext, reload: boolean): Promise<ModeLoad> {
  const strategies = strategiesFor(ctx.contract, ctx.config);
  switch (ctx.contract.load.mode) {
    case "merge":
      return { counts: await loadWithFirstFitting(ctx, strategies) };
    case "replace":
      return replaceSnapshot(ctx, () => loadWithFirstFitting(ctx, strategies));
    case "append": {
      let removed = 0;
      if (reload) {
        if (!ctx.contract.load.lineage) {
          return skip(
            ctx,
            NO_LINEAGE,
            `run ${ctx.run.runId} was appended to ${displayName(ctx.table.name)} without lineage, so its earlier rows cannot be taken out to load it again under contract ${ctx.contract.name} v${ctx.contract.version}; nothing changed`,
          );
        }
        const earlier = await ctx.session.query(
          `DELETE FROM ${qualifiedName(ctx.table.name)} WHERE ${quoteIdent(LINEAGE_RUN_ID_COLUMN)} = $1`,
          [ctx.run.runId],
        );
        removed = earlier.rowCount;
      }
      const counts = await loadWithFirstFitting(ctx, strategies);
      return { counts: { ...counts, deleted: counts.deleted + removed } };
    }
  }
}

const SAVEPOINT = "sluice_replace";

/**
 * A `replace` load: the file is the table's full snapshot. The table is locked against other
 * writers (readers go on reading the previous rows until commit), emptied (`replaceBy`) and
 * loaded in the load's transaction, so readers see the old rows or the new, never a mix.
 *
 * A snapshot older than one already loaded is skipped and says why: by the `orderBy` field
 * when the contract has one (its largest value in the file against the largest loaded before,
 * measured once the rows are in, then rolled back to the savepoint), else by the S3 sequencer
 * of the same object (sequencers order the versions of one key only, so snapshots of different
 * keys are ordered only with `orderBy`).
 */
async function replaceSnapshot(ctx: LoadContext, load: () => Promise<ModeLoad["counts"]>): Promise<ModeLoad> {
  const check = await openSnapshotCheck(ctx);
  const ordered = ctx.contract.load.orderBy !== undefined;
  const stale = ordered ? undefined : check.olderBySequencer();
  if (stale) return skip(ctx, OLDER_SNAPSHOT, stale);
  await ctx.session.query(`SAVEPOINT ${SAVEPOINT}`);
  const removed = await emptyTable(ctx);
  const counts = await load();
  const orderValue = await check.orderValueInTable();
  const older =
    orderValue !== null
      ? await check.olderByOrder(orderValue)
      : ordered
        ? check.olderBySequencer()
        : undefined;
  if (older) {
    await ctx.session.query(`ROLLBACK TO SAVEPOINT ${SAVEPOINT}`);
    return skip(ctx, OLDER_SNAPSHOT, older);
  }
  await ctx.session.query(`RELEASE SAVEPOINT ${SAVEPOINT}`);
  await check.record(orderValue);
  return { counts: { ...counts, deleted: counts.deleted + removed } };
}

async function skip(ctx: LoadContext, reason: string, message: string): Promise<ModeLoad> {
  const staged = (await ctx.rows.manifest()).counts.staged;
  return { counts: { ...noCounts(staged), unchanged: staged, method: "none" }, skipped: { reason, message } };
}
