import {
  createEvent,
  type DatasetRegistry,
  type EventPublisher,
  type LoadTarget,
  type Logger,
  type ObjectStore,
  type SluiceEvent,
} from "@sluice/core";
import { type LoaderConfig, loaderConfig } from "./config";
import { ensureLedger, type LedgerRun, ledgerTableOf, lockRun, markLoaded } from "./ledger";
import { createLoadContext } from "./load-context";
import { checkManifest, readManifest } from "./manifest";
import { ensureTargetTable } from "./schema";
import { displayName } from "./sql";
import { loadWithFirstFitting, strategiesFor } from "./strategies";

/** The `source` of events the loader publishes. */
export const LOADER_SOURCE = "sluice/loader";

/** The ports {@link loadStagedRun} works through. */
export interface LoaderDeps {
  store: ObjectStore;
  target: LoadTarget;
  registry: DatasetRegistry;
  publisher: EventPublisher;
  logger: Logger;
  /** Tuning; {@link DEFAULT_LOADER_CONFIG} when omitted. */
  config?: Partial<LoaderConfig>;
}

/** What one load did. */
export interface LoadOutcome {
  runId: string;
  dataset: string;
  /** Schema-qualified target table. */
  table: string;
  rowsStaged: number;
  inserted: number;
  updated: number;
  /** Staged rows that changed nothing: identical to the table's row, or a duplicate key in the file. */
  unchanged: number;
  /** True when the run was loaded by an earlier delivery and this one changed nothing. */
  alreadyLoaded: boolean;
  /** Nullable contract fields this load added to an existing table. */
  addedColumns: string[];
  /** The `sluice.object.loaded` event published. */
  event: SluiceEvent<"sluice.object.loaded">;
}

/**
 * Loads one staged run into Postgres exactly once, then publishes `sluice.object.loaded`.
 *
 * Reads the run's manifest (core's schema) and checks it against the event and the deployed
 * contract, then in ONE transaction: creates the ledger and the target table when missing (or
 * checks the table can take the contract), locks the run's ledger row, and — unless an earlier
 * delivery already loaded the run — puts the rows in with the first load strategy that fits
 * (`strategies/`: straight COPY into an empty table, a plain insert of new keys, or the merge on
 * the primary key, which leaves unchanged rows unwritten), and records the counts in the ledger.
 * Every strategy reads the staged rows while hashing them and refuses them if the SHA-256, size
 * or row count differ from the manifest. Any failure rolls everything back, so a retry starts clean.
 *
 * @throws ChecksumMismatchError (retry) when the staged object is not the one the manifest describes.
 * @throws StagedRunMismatchError / SchemaMismatchError (dead-letter) when the run or the table
 *   does not fit the contract.
 */
export async function loadStagedRun(
  event: SluiceEvent<"sluice.object.staged">,
  deps: LoaderDeps,
): Promise<LoadOutcome> {
  const config = loaderConfig(deps.config);
  const { data } = event;
  const contract = deps.registry.get(data.dataset);
  const manifest = await readManifest(deps.store, data);
  checkManifest(manifest, data, contract);
  const ledger = ledgerTableOf(config.ledgerSchema);
  const run: LedgerRun = {
    runId: data.runId,
    dataset: data.dataset,
    objectBucket: data.object.bucket,
    objectKey: data.object.key,
    table: contract.table,
    contractVersion: manifest.contractVersion,
  };
  if (data.object.versionId !== undefined) run.objectVersionId = data.object.versionId;
  if (data.object.eTag !== undefined) run.objectETag = data.object.eTag;
  const log = { runId: data.runId, dataset: data.dataset };

  const result = await deps.target.transaction(async (session) => {
    await session.query("SELECT set_config('lock_timeout', $1, true)", [`${config.lockTimeoutMs}ms`]);
    await ensureLedger(session, ledger);
    const entry = await lockRun(session, ledger, run);
    if (entry.status === "loaded") {
      return { alreadyLoaded: true as const, entry };
    }
    const target = await ensureTargetTable(session, contract);
    run.table = displayName(target.name);
    const context = createLoadContext({
      run: data,
      manifest,
      contract,
      table: target,
      session,
      store: deps.store,
      config,
      logger: deps.logger,
    });
    const counts = await loadWithFirstFitting(context, strategiesFor(config));
    await markLoaded(session, ledger, run, counts);
    return { alreadyLoaded: false as const, counts, target };
  });

  let outcome: Omit<LoadOutcome, "event">;
  if (result.alreadyLoaded) {
    const { entry } = result;
    outcome = {
      runId: data.runId,
      dataset: data.dataset,
      table: entry.table,
      rowsStaged: entry.rowsStaged,
      inserted: entry.inserted,
      updated: entry.updated,
      unchanged: entry.unchanged,
      alreadyLoaded: true,
      addedColumns: [],
    };
    deps.logger.info("already loaded: this delivery changed nothing", {
      ...log,
      loadedAt: entry.loadedAt?.toISOString(),
      deliveries: entry.attempts,
      inserted: entry.inserted,
      updated: entry.updated,
      unchanged: entry.unchanged,
    });
  } else {
    outcome = {
      runId: data.runId,
      dataset: data.dataset,
      table: displayName(result.target.name),
      ...result.counts,
      alreadyLoaded: false,
      addedColumns: result.target.addedColumns,
    };
    if (result.target.created) deps.logger.info("created target table", { ...log, table: outcome.table });
    if (result.target.addedColumns.length > 0) {
      deps.logger.warn("added nullable columns to the target table", {
        ...log,
        table: outcome.table,
        columns: result.target.addedColumns,
      });
    }
    if (result.target.widenedColumns.length > 0) {
      deps.logger.warn("widened columns of the target table", {
        ...log,
        table: outcome.table,
        columns: result.target.widenedColumns,
      });
    }
    deps.logger.info("loaded", { ...log, table: outcome.table, ...result.counts });
  }

  const loaded = createEvent("sluice.object.loaded", LOADER_SOURCE, {
    runId: data.runId,
    object: data.object,
    dataset: data.dataset,
    table: outcome.table,
    inserted: outcome.inserted,
    updated: outcome.updated,
    unchanged: outcome.unchanged,
    alreadyLoaded: outcome.alreadyLoaded,
  });
  await deps.publisher.publish(loaded);
  return { ...outcome, event: loaded };
}
