import type { DatasetContract, LoadTarget, Logger, ObjectStore } from "@sluice/core";
import type { LoaderConfig } from "./config";
import {
  ensureLedger,
  type LedgerEntry,
  type LedgerRun,
  ledgerTableOf,
  loadedUnderSameContract,
  lockRun,
  markLoaded,
} from "./ledger";
import { createLoadContext } from "./load-context";
import { loadByMode, NO_LINEAGE } from "./load-modes";
import type { LoadResult } from "./load-outcome";
import {
  exceedsBadRowRatio,
  type LoaderRejections,
  TooManyRejectionsError,
  writeLoadRejects,
} from "./load-rejects";
import type { LoadedRun } from "./manifest";
import { ensureTargetTable, type TargetTable } from "./schema";
import { displayName } from "./sql";
import type { StagedRows } from "./staged-rows-source";

/** What one run's load transaction works from. */
export interface RunLoad {
  run: LoadedRun;
  contract: DatasetContract;
  /** The run's staged rows: all there, or parts still arriving (an early start). */
  rows: StagedRows;
  /** What the ledger records: the run, its object, the contract it is loaded under. */
  ledgerRun: LedgerRun;
  /** Where the rows the load rejects are collected. */
  rejections: LoaderRejections;
  config: LoaderConfig;
  /**
   * Told the run's ledger entry once it is locked, before anything is loaded; throwing stops the
   * load (rolled back). An early start stops there when the run must be reloaded.
   */
  onLocked?: (entry: LedgerEntry) => void;
  /** Changes made to the target table in an earlier transaction (an early start), reported with this load's. */
  prepared?: TargetTable;
}

/**
 * Loads one run in ONE transaction: locks its ledger row (a concurrent delivery of the run waits
 * here, at most `lockTimeoutMs`) and — unless a delivery already loaded it under the same contract
 * — creates or checks the target table, loads the rows by the contract's `load.mode`, applies the
 * bad-row ratio with the run manifest's counts, writes the loader's rejections and marks the
 * ledger row loaded. Everything rolls back on any failure.
 *
 * @throws TooManyRejectionsError when the run's rejected rows exceed the contract's ratio (rolled back).
 */
export function loadRunInTransaction(
  load: RunLoad,
  deps: { target: LoadTarget; store: ObjectStore; logger: Logger },
): Promise<LoadResult> {
  const { run, contract, ledgerRun, config, rejections } = load;
  const ledger = ledgerTableOf(config.ledgerSchema);
  return deps.target.transaction(async (session) => {
    await ensureLedger(session, ledger, { lockTimeoutMs: config.lockTimeoutMs, runId: run.runId });
    const entry = await lockRun(session, ledger, ledgerRun);
    if (loadedUnderSameContract(entry, ledgerRun)) return { alreadyLoaded: true as const, entry };
    load.onLocked?.(entry);
    const reloaded = entry.status === "loaded";
    const target = withPrepared(await ensureTargetTable(session, contract), load.prepared);
    ledgerRun.table = displayName(target.name);
    const context = createLoadContext({
      run,
      rows: load.rows,
      contract,
      table: target,
      session,
      store: deps.store,
      config,
      logger: deps.logger,
      rejections,
    });
    const { counts, skipped } = await loadByMode(context, reloaded);
    // A run still being staged is complete here: its manifest (and every part) is in.
    const manifest = await load.rows.manifest();
    if (
      !skipped &&
      exceedsBadRowRatio(manifest.counts, counts.rejected, contract.quarantine.maxBadRowRatio)
    ) {
      throw new TooManyRejectionsError(
        `${counts.rejected} rows rejected loading into ${ledgerRun.table}`,
        rejections,
      );
    }
    // Written before commit: a crash after it re-runs the load, which writes it again.
    const written =
      !skipped && (counts.rejected > 0 || reloaded)
        ? await writeLoadRejects(deps.store, run, rejections.kept)
        : undefined;
    // A reload that could not take the earlier rows out leaves the ledger as the earlier load left it.
    if (skipped?.reason !== NO_LINEAGE) await markLoaded(session, ledger, ledgerRun, counts, skipped?.reason);
    const loadRejectsKey = counts.rejected > 0 ? written : undefined;
    return { alreadyLoaded: false as const, counts, skipped, target, reloaded, entry, loadRejectsKey };
  });
}

/** `table` as this transaction found it, with the changes an earlier transaction made to it. */
function withPrepared(table: TargetTable, prepared: TargetTable | undefined): TargetTable {
  if (!prepared) return table;
  return {
    ...table,
    addedColumns: [...prepared.addedColumns, ...table.addedColumns],
    widenedColumns: [...prepared.widenedColumns, ...table.widenedColumns],
  };
}
