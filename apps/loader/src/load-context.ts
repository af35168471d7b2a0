import type { DatasetContract, Logger, ObjectStore, SqlSession } from "@sluice/core";
import type { LoaderConfig } from "./config";
import type { LoaderRejections } from "./load-rejects";
import type { LoadedRun } from "./manifest";
import type { TargetTable } from "./schema";
import { copyIntoStageTable, type StageTable } from "./staged-rows";
import type { StagedRows } from "./staged-rows-source";

/**
 * Everything one load works with, inside its transaction: the run, its staged rows, the
 * contract (its `load` policy included), the target table (created or checked), the session,
 * where the rows are read from, and where rejected rows are collected. Each load strategy takes
 * this one value.
 */
export interface LoadContext {
  /** The run, as its `sluice.object.staged` (or `sluice.object.split`) event announces it. */
  readonly run: LoadedRun;
  /** The run's staged rows objects and its manifest (checked against the event and the contract). */
  readonly rows: StagedRows;
  readonly contract: DatasetContract;
  /** The target table, created or checked against the contract in this transaction. */
  readonly table: TargetTable;
  /** The load's transaction: everything a strategy does commits or rolls back with it. */
  readonly session: SqlSession;
  /** The store the staged rows are read from. */
  readonly store: ObjectStore;
  readonly config: LoaderConfig;
  readonly logger: Logger;
  /**
   * True when the staged rows carry the raw object's line numbers (`_sluice_line`); runs
   * staged before that are numbered by staged row instead, and keep no line in lineage.
   */
  readonly stagedLines: boolean;
  /** The rows this load rejected so far. */
  readonly rejections: LoaderRejections;
  /**
   * The staged rows in the transaction's temporary table, copied there (and verified against
   * the manifest) on the first call; later calls share that copy.
   */
  stageTable(): Promise<StageTable>;
}

/** A {@link LoadContext} over `parts`; the temporary table is made when a strategy first asks. */
export function createLoadContext(parts: Omit<LoadContext, "stageTable" | "stagedLines">): LoadContext {
  let staged: Promise<StageTable> | undefined;
  return {
    ...parts,
    stagedLines: parts.rows.lines,
    stageTable() {
      staged ??= copyIntoStageTable(parts);
      return staged;
    },
  };
}

/** `line 12`, or `staged row 12` for a run staged without line numbers. */
export function lineLabel(ctx: Pick<LoadContext, "stagedLines">, line: number): string {
  return ctx.stagedLines ? `line ${line}` : `staged row ${line}`;
}
