/**
 * The transaction-local setting a load puts its run id in (`set_config(…, true)`), read by the
 * default of the lineage run-id column: every row a load inserts, by COPY or by `INSERT`, is
 * stamped with the run without the staged bytes carrying it per row.
 */
export const RUN_ID_SETTING = "sluice.run_id";

/**
 * Default of {@link LINEAGE_RUN_ID_COLUMN}: the loading run's id, NULL outside a load (a row a
 * person inserts has no run). `current_setting` is stable, so adding the column with this default
 * to a full table does not rewrite it, and existing rows read NULL.
 */
export const LINEAGE_RUN_ID_DEFAULT = `nullif(current_setting('${RUN_ID_SETTING}', true), '')`;
