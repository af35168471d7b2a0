import type { LoadContext } from "../load-context";

/** Rows counted by one load. */
export interface LoadCounts {
  rowsStaged: number;
  inserted: number;
  updated: number;
  /** Staged rows that changed nothing: identical to the table's row, or a duplicate key in the file. */
  unchanged: number;
}

/**
 * One way to put a staged run's rows into its target table, inside the load's transaction. A
 * strategy either loads the whole run and counts it, or finds it does not fit this run and
 * leaves the transaction as it found it (e.g. rolled back to its savepoint), so the next one
 * can be tried. A new load mode is a new strategy module, listed in `strategiesFor`.
 */
export interface LoadStrategy {
  /** What the `loaded` log line calls this way in (`method`), e.g. `direct-copy`. */
  readonly name: string;
  /** The run's counts once its rows are in, or `undefined` when this strategy does not fit it. */
  attempt(ctx: LoadContext): Promise<LoadCounts | undefined>;
}
