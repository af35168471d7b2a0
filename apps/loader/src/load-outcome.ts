import {
  createEvent,
  type DatasetContract,
  type DatasetRegistry,
  type EventPublisher,
  formatObjectRef,
  type LoadMode,
  type LoadTarget,
  type Logger,
  type ObjectStore,
  type SluiceEvent,
  type StagingManifest,
} from "@sluice/core";
import type { LoaderConfig } from "./config";
import type { LedgerEntry } from "./ledger";
import type { ModeLoad } from "./load-modes";
import { type TooManyRejectionsError, writeLoadRejects } from "./load-rejects";
import type { LoadedRun } from "./manifest";
import type { TargetTable } from "./schema";
import { displayName } from "./sql";
import type { LoadCounts } from "./strategies";

/** The `source` of events the loader publishes. */
export const LOADER_SOURCE = "sluice/loader";

/** The ports `loadStagedRun` works through. */
export interface LoaderDeps {
  store: ObjectStore;
  target: LoadTarget;
  registry: DatasetRegistry;
  publisher: EventPublisher;
  logger: Logger;
  /** Tuning; `DEFAULT_LOADER_CONFIG` when omitted. */
  config?: Partial<LoaderConfig>;
  /**
   * The `source` of the events the load publishes: {@link LOADER_SOURCE} when omitted; the
   * legacy-wrapper task, which loads the container-route runs it staged, gives its own.
   */
  source?: string;
}

/** What one load did. */
export interface LoadOutcome extends LoadCounts {
  /** `loaded` (the rows are in, or the delivery was a no-op or skipped), or `quarantined`. */
  status: "loaded" | "quarantined";
  runId: string;
  dataset: string;
  /** Schema-qualified target table. */
  table: string;
  mode: LoadMode;
  /** True when an earlier delivery loaded the run under the same contract and this one changed nothing. */
  alreadyLoaded: boolean;
  /** True when the run had been loaded under another contract and was loaded again under this one. */
  reloaded: boolean;
  /** Set when the delivery loaded nothing on purpose (e.g. an older snapshot). */
  skipped?: { reason: string; message: string };
  /** Nullable contract fields this load added to an existing table. */
  addedColumns: string[];
  /** Where the loader's rejections were written, when it rejected rows. */
  loadRejectsKey?: string;
  /** The event published: `sluice.object.loaded`, or `sluice.object.quarantined`. */
  event: SluiceEvent<"sluice.object.loaded"> | SluiceEvent<"sluice.object.quarantined">;
}

/** What the load's transaction came to. */
export type LoadResult =
  | { alreadyLoaded: true; entry: LedgerEntry }
  | (ModeLoad & {
      alreadyLoaded: false;
      entry: LedgerEntry;
      target: TargetTable;
      reloaded: boolean;
      loadRejectsKey: string | undefined;
    });

/** Logs what the committed load did and publishes `sluice.object.loaded`. */
export async function publishLoaded(
  data: LoadedRun,
  contract: DatasetContract,
  result: LoadResult,
  deps: Pick<LoaderDeps, "publisher" | "logger" | "source">,
): Promise<LoadOutcome> {
  const log = { runId: data.runId, dataset: data.dataset };
  let outcome: Omit<LoadOutcome, "event">;
  if (result.alreadyLoaded) {
    const { entry } = result;
    const { rowsStaged, inserted, updated, unchanged, deleted, repeats, rejected } = entry;
    outcome = {
      status: "loaded",
      runId: data.runId,
      dataset: data.dataset,
      table: entry.table,
      mode: contract.load.mode,
      ...{ rowsStaged, inserted, updated, unchanged, deleted, repeats, rejected },
      alreadyLoaded: true,
      reloaded: false,
      addedColumns: [],
    };
    deps.logger.info("already loaded: this delivery changed nothing", {
      ...log,
      loadedAt: entry.loadedAt?.toISOString(),
      deliveries: entry.attempts,
      inserted,
      updated,
      unchanged,
    });
  } else {
    const { method, ...counts } = result.counts;
    const table = displayName(result.target.name);
    outcome = {
      status: "loaded",
      runId: data.runId,
      dataset: data.dataset,
      table,
      mode: contract.load.mode,
      ...counts,
      alreadyLoaded: false,
      reloaded: result.reloaded,
      addedColumns: result.target.addedColumns,
      ...(result.skipped ? { skipped: result.skipped } : {}),
      ...(result.loadRejectsKey ? { loadRejectsKey: result.loadRejectsKey } : {}),
    };
    if (result.target.created) deps.logger.info("created target table", { ...log, table });
    if (result.target.addedColumns.length > 0) {
      deps.logger.warn("added nullable columns to the target table", {
        ...log,
        table,
        columns: result.target.addedColumns,
      });
    }
    if (result.target.widenedColumns.length > 0) {
      deps.logger.warn("widened columns of the target table", {
        ...log,
        table,
        columns: result.target.widenedColumns,
      });
    }
    if (result.skipped) {
      deps.logger.warn("skipped: this delivery loaded nothing", { ...log, ...result.skipped });
    } else {
      const previous = result.reloaded ? { previousContractVersion: result.entry.contractVersion } : {};
      deps.logger.info(result.reloaded ? "reloaded under a changed contract" : "loaded", {
        ...log,
        table,
        mode: contract.load.mode,
        method,
        ...counts,
        ...previous,
      });
    }
  }

  const reloaded = !result.alreadyLoaded && result.reloaded;
  const loaded = createEvent("sluice.object.loaded", deps.source ?? LOADER_SOURCE, {
    runId: data.runId,
    object: data.object,
    dataset: data.dataset,
    table: outcome.table,
    inserted: outcome.inserted,
    updated: outcome.updated,
    unchanged: outcome.unchanged,
    alreadyLoaded: outcome.alreadyLoaded,
    mode: outcome.mode,
    deleted: outcome.deleted,
    repeats: outcome.repeats,
    rejected: outcome.rejected,
    ...(outcome.loadRejectsKey ? { loadRejectsKey: outcome.loadRejectsKey } : {}),
    ...(reloaded ? { reloaded, previousContractVersion: result.entry.contractVersion } : {}),
    ...(outcome.skipped ? { skipped: outcome.skipped } : {}),
  });
  await deps.publisher.publish(loaded);
  return { ...outcome, event: loaded };
}

/**
 * The load was rolled back for too many rejected rows: writes the loader's rejections beside
 * the run and publishes `sluice.object.quarantined` with the reason and the first of them. The
 * message is done with (not retried, not dead-lettered); `sluice replay` after a fix loads it.
 */
export async function quarantineRun(
  data: LoadedRun,
  manifest: StagingManifest,
  contract: DatasetContract,
  error: TooManyRejectionsError,
  deps: LoaderDeps & { config: LoaderConfig },
): Promise<LoadOutcome> {
  const counts = manifest.counts;
  const loaderRejected = error.rejections.count;
  const rejected = counts.rejected + loaderRejected;
  const ratio = counts.rows === 0 ? 0 : rejected / counts.rows;
  const message =
    `${formatObjectRef(data.object)}: ${rejected} of ${counts.rows} rows rejected (${(ratio * 100).toFixed(2)}%: ` +
    `${counts.rejected} by validation, ${loaderRejected} by the loader), over the contract's limit of ` +
    `${(contract.quarantine.maxBadRowRatio * 100).toFixed(2)}%; nothing was loaded`;
  const rejectsKey = await writeLoadRejects(deps.store, data, error.rejections.kept);
  const quarantined = createEvent("sluice.object.quarantined", deps.source ?? LOADER_SOURCE, {
    runId: data.runId,
    object: data.object,
    dataset: data.dataset,
    route: data.route,
    reason: error.code,
    message,
    counts: { rows: counts.rows, staged: counts.staged - loaderRejected, rejected },
    firstRejections: error.rejections.kept.slice(0, deps.config.firstRejections),
    rejectsKey,
  });
  await deps.publisher.publish(quarantined);
  deps.logger.warn("object quarantined", {
    runId: data.runId,
    dataset: data.dataset,
    reason: error.code,
    message,
    rejectsKey,
  });
  return {
    status: "quarantined",
    runId: data.runId,
    dataset: data.dataset,
    table: contract.table,
    mode: contract.load.mode,
    rowsStaged: counts.staged,
    inserted: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    repeats: 0,
    rejected: loaderRejected,
    alreadyLoaded: false,
    reloaded: false,
    addedColumns: [],
    loadRejectsKey: rejectsKey,
    event: quarantined,
  };
}
