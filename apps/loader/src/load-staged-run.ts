import { contractFingerprint, type SluiceEvent } from "@sluice/core";
import { loaderConfig } from "./config";
import {
  ensureLedger,
  type LedgerRun,
  ledgerTableOf,
  loadedUnderSameContract,
  lockRun,
  markLoaded,
} from "./ledger";
import { setLoadingRun } from "./lineage";
import { createLoadContext } from "./load-context";
import { loadByMode, NO_LINEAGE } from "./load-modes";
import { type LoaderDeps, type LoadOutcome, publishLoaded, quarantineRun } from "./load-outcome";
import {
  exceedsBadRowRatio,
  LoaderRejections,
  TooManyRejectionsError,
  writeLoadRejects,
} from "./load-rejects";
import { checkManifest, readManifest } from "./manifest";
import { ensureTargetTable } from "./schema";
import { displayName } from "./sql";

/**
 * Loads one staged run into Postgres exactly once, then publishes `sluice.object.loaded`.
 *
 * Reads the run's manifest (core's schema) and checks it against the event and the deployed
 * contract, then in ONE transaction: creates the ledger and the target table when missing (or
 * checks the table can take the contract), locks the run's ledger row and — unless an earlier
 * delivery loaded the run under the same contract (its fingerprint) — loads it by the
 * contract's `load.mode` (`load-modes.ts`) with the first strategy that fits (`strategies/`),
 * and records the counts and the contract in the ledger. A run loaded under another contract is
 * loaded again under this one (`reloaded`). Every strategy reads the staged rows while hashing
 * them and refuses them if the SHA-256, size or row count differ from the manifest.
 *
 * Rows the table refuses, and repeated keys under `onDuplicateKey: reject`, are rejected one by
 * one (`load-rejects.ndjson` beside the run); when the transform's and the loader's rejections
 * together exceed the contract's bad-row ratio, everything rolls back and the run is quarantined
 * (`sluice.object.quarantined`, reason `bad-row-ratio`) instead. Any other failure rolls
 * everything back, so a retry starts clean.
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
    contractHash: manifest.contractHash ?? contractFingerprint(contract),
  };
  if (data.object.versionId !== undefined) run.objectVersionId = data.object.versionId;
  if (data.object.eTag !== undefined) run.objectETag = data.object.eTag;
  const rejections = new LoaderRejections(config.maxRejectionsKept);

  const load = deps.target.transaction(async (session) => {
    await session.query("SELECT set_config('lock_timeout', $1, true)", [`${config.lockTimeoutMs}ms`]);
    await ensureLedger(session, ledger);
    const entry = await lockRun(session, ledger, run);
    if (loadedUnderSameContract(entry, run)) return { alreadyLoaded: true as const, entry };
    const reloaded = entry.status === "loaded";
    await setLoadingRun(session, data.runId);
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
      rejections,
    });
    const { counts, skipped } = await loadByMode(context, reloaded);
    if (
      !skipped &&
      exceedsBadRowRatio(manifest.counts, counts.rejected, contract.quarantine.maxBadRowRatio)
    ) {
      throw new TooManyRejectionsError(
        `${counts.rejected} rows rejected loading into ${run.table}`,
        rejections,
      );
    }
    // Written before commit: a crash after it re-runs the load, which writes it again.
    const written =
      !skipped && (counts.rejected > 0 || reloaded)
        ? await writeLoadRejects(deps.store, data, rejections.kept)
        : undefined;
    // A reload that could not take the earlier rows out leaves the ledger as the earlier load left it.
    if (skipped?.reason !== NO_LINEAGE) await markLoaded(session, ledger, run, counts, skipped?.reason);
    const loadRejectsKey = counts.rejected > 0 ? written : undefined;
    return { alreadyLoaded: false as const, counts, skipped, target, reloaded, entry, loadRejectsKey };
  });

  let result: Awaited<typeof load>;
  try {
    result = await load;
  } catch (error) {
    if (!(error instanceof TooManyRejectionsError)) throw error;
    return quarantineRun(event, manifest, contract, error, { ...deps, config });
  }
  return publishLoaded(event, contract, result, deps);
}
