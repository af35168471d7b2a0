import type { CommandHandler } from "../context";
import { EXIT } from "../exit-codes";
import { withRuntime } from "./support/runtime-session";

/** Options of `sluice unload`. */
export interface UnloadOptions {
  /** A run id, or an object key (each loaded run of it). */
  which: string;
}

/**
 * `sluice unload`: takes an object's rows back out of its table (by the lineage column
 * `_sluice_run_id`), marks its runs `unloaded` in the ledger and publishes
 * `sluice.object.unloaded`; `sluice replay` loads it again. Refused (exit `refused`, or
 * `notFound` for a run the ledger does not know) when nothing of it is loaded or its table has
 * no lineage.
 */
export const unload: CommandHandler<UnloadOptions> = async ({ which }, context) =>
  withRuntime(context, async (runtime) => {
    const unloaded = await runtime.unload(which);
    const runs = unloaded.map(({ runId, dataset, table, deleted, event }) => ({
      runId,
      key: event.data.object.key,
      dataset,
      table,
      deleted,
    }));
    context.reporter.result({ unloaded: runs }, () =>
      runs.map(
        (run) => `unloaded ${run.key} (run ${run.runId}): ${run.deleted} row(s) deleted from ${run.table}`,
      ),
    );
    return EXIT.ok;
  });
