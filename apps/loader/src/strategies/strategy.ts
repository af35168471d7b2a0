import type { LoadContext } from "../load-context";
import type { StageTable } from "../staged-rows";

/** Rows counted by one load. */
export interface LoadCounts {
  rowsStaged: number;
  inserted: number;
  updated: number;
  /**
   * Staged rows that changed nothing: identical to the table's row, older than it (`orderBy`),
   * a repeated key the policy dropped, or a delete of a key the table does not hold.
   */
  unchanged: number;
  /** Rows taken out of the table (see the `deleted` of `sluice.object.loaded`). */
  deleted: number;
  /** Staged rows whose key repeated an earlier row of the file, whatever became of them. */
  repeats: number;
  /** Staged rows the loader rejected (repeats under `onDuplicateKey: reject`, rows the table refused). */
  rejected: number;
}

/** Counts of a load that put nothing in (yet). */
export function noCounts(rowsStaged = 0): LoadCounts {
  return { rowsStaged, inserted: 0, updated: 0, unchanged: 0, deleted: 0, repeats: 0, rejected: 0 };
}

/**
 * One way to put a staged run's rows into its target table, inside the load's transaction. A
 * strategy either loads the whole run and counts it, or finds it does not fit this run and
 * leaves the transaction as it found it (e.g. rolled back to its savepoint), so the next one
 * can be tried. A new way in is a new strategy module, listed in `strategiesFor`.
 */
export interface LoadStrategy {
  /** What the `loaded` log line calls this way in (`method`), e.g. `direct-copy`. */
  readonly name: string;
  /** The run's counts once its rows are in, or `undefined` when this strategy does not fit it. */
  attempt(ctx: LoadContext): Promise<LoadCounts | undefined>;
}

/** Rows one move put in, changed or took out of the target table. */
export interface MoveCounts {
  inserted: number;
  updated: number;
  deleted: number;
}

/** An inclusive range of staged line numbers (`_sluice_line`). */
export interface LineRange {
  from: number;
  to: number;
}

/**
 * Moves staged rows from the stage table into the target table: those whose line is in `range`,
 * or all of them. It must be correct for any split of the lines into ranges moved one after
 * another (the row isolation retries a refused move chunk by chunk), so it never relies on
 * seeing the whole file at once: repeated keys are resolved before it runs.
 */
export type StagedMove = (ctx: LoadContext, stage: StageTable, range?: LineRange) => Promise<MoveCounts>;

/** `AND s."_sluice_line" BETWEEN $n AND $n+1` for `range` (parameters appended to `params`), or nothing. */
export function rangeFilter(line: string, range: LineRange | undefined, params: unknown[]): string {
  if (!range) return "";
  params.push(range.from, range.to);
  return ` AND ${line} BETWEEN $${params.length - 1} AND $${params.length}`;
}
