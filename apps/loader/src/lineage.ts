import { columnsOf, LINEAGE_RUN_ID_COLUMN, STAGED_LINE_COLUMN } from "@sluice/core";
import type { LoadContext } from "./load-context";
import { quoteIdent } from "./sql";

/**
 * The transaction-local setting a load puts its run id in (`set_config(…, true)`, in its first
 * statement: `ensureLedger`), read by the default of the lineage run-id column: every row a load
 * inserts, by COPY or by `INSERT`, is stamped with the run without the staged bytes carrying it
 * per row.
 */
export const RUN_ID_SETTING = "sluice.run_id";

/**
 * Default of {@link LINEAGE_RUN_ID_COLUMN}: the loading run's id, NULL outside a load (a row a
 * person inserts has no run). `current_setting` is stable, so adding the column with this default
 * to a full table does not rewrite it, and existing rows read NULL.
 */
export const LINEAGE_RUN_ID_DEFAULT = `nullif(current_setting('${RUN_ID_SETTING}', true), '')`;

/** The lineage column holding the row's line in the raw object (the staged `_sluice_line`). */
export const LINEAGE_LINE_COLUMN = STAGED_LINE_COLUMN;

/**
 * The target columns a move fills from the stage table: the contract's fields, and the line
 * when the table keeps lineage and the run has line numbers. The run id comes from the
 * column's default ({@link LINEAGE_RUN_ID_DEFAULT}).
 */
export function movedColumns(ctx: Pick<LoadContext, "contract" | "stagedLines">): string[] {
  const columns = columnsOf(ctx.contract);
  return ctx.contract.load.lineage && ctx.stagedLines ? [...columns, LINEAGE_LINE_COLUMN] : columns;
}

/** `"_sluice_run_id" = EXCLUDED."_sluice_run_id", …`: an upsert that changes a row stamps this run on it. */
export function lineageUpdates(ctx: Pick<LoadContext, "contract">): string[] {
  if (!ctx.contract.load.lineage) return [];
  return [LINEAGE_RUN_ID_COLUMN, LINEAGE_LINE_COLUMN].map(
    (column) => `${quoteIdent(column)} = EXCLUDED.${quoteIdent(column)}`,
  );
}
