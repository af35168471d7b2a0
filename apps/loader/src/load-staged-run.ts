import { contractFingerprint, type DatasetContract, type SluiceEvent } from "@sluice/core";
import { loaderConfig } from "./config";
import type { LedgerRun } from "./ledger";
import {
  type LoaderDeps,
  type LoadOutcome,
  type LoadResult,
  publishLoaded,
  quarantineRun,
} from "./load-outcome";
import { LoaderRejections, TooManyRejectionsError } from "./load-rejects";
import { loadRunInTransaction } from "./load-transaction";
import { checkManifest, type LoadedRun, readManifest } from "./manifest";
import { stagedRowsOf } from "./staged-rows-source";

/**
 * Loads one staged run into Postgres exactly once, then publishes `sluice.object.loaded`.
 *
 * Reads the run's manifest (core's schema) and checks it against the event and the deployed
 * contract, then in ONE transaction: creates the ledger and the target table when missing (or
 * checks the table can take the contract), locks the run's ledger row and — unless an earlier
 * delivery loaded the run under the same contract (its fingerprint) — loads it by the
 * contract's `load.mode` (`load-modes.ts`) with the first strategy that fits (`strategies/`),
 * and records the counts and the contract in the ledger (`loadRunInTransaction`). A run loaded
 * under another contract is loaded again under this one (`reloaded`). Every strategy reads the
 * staged rows — the run's one rows object, or a fanned-out run's parts one after another, one COPY
 * each — while hashing them, and refuses them if the SHA-256, size or row count differ from the
 * manifest (the parts' entries, and their totals against the run's).
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
  const rows = stagedRowsOf(manifest, data);
  const ledgerRun = ledgerRunOf(data, contract, manifest.contractVersion, manifest.contractHash);
  const rejections = new LoaderRejections(config.maxRejectionsKept);

  let result: LoadResult;
  try {
    result = await loadRunInTransaction({ run: data, contract, rows, ledgerRun, rejections, config }, deps);
  } catch (error) {
    if (!(error instanceof TooManyRejectionsError)) throw error;
    return quarantineRun(data, manifest, contract, error, { ...deps, config });
  }
  return publishLoaded(data, contract, result, deps);
}

/**
 * The ledger's record of `run` loaded under `contract`: the staged contract version and
 * fingerprint (`contractHash`; the deployed contract's when the manifest predates fingerprints).
 */
export function ledgerRunOf(
  run: LoadedRun,
  contract: DatasetContract,
  contractVersion: number,
  contractHash: string | undefined,
): LedgerRun {
  const ledgerRun: LedgerRun = {
    runId: run.runId,
    dataset: run.dataset,
    objectBucket: run.object.bucket,
    objectKey: run.object.key,
    table: contract.table,
    contractVersion,
    contractHash: contractHash ?? contractFingerprint(contract),
  };
  if (run.object.versionId !== undefined) ledgerRun.objectVersionId = run.object.versionId;
  if (run.object.eTag !== undefined) ledgerRun.objectETag = run.object.eTag;
  return ledgerRun;
}
