import { setTimeout as sleep } from "node:timers/promises";
import {
  contractFingerprint,
  type DatasetContract,
  type ObjectStore,
  type PartManifest,
  type PartsPlan,
  partManifestSchema,
  partsPlanSchema,
  runPartsKeysOf,
  type StagingManifest,
} from "@sluice/core";
import { ChecksumMismatchError, StagedRunMismatchError } from "./errors";
import { checkManifest, hasStagedLines, type LoadedRun, readManifest, readStagedDocument } from "./manifest";
import { checkPartsTotals, type RowsObject, type StagedRows } from "./staged-rows-source";

/**
 * Why an early start stopped without loading: the run was quarantined while its parts were
 * staged, the wait for parts reached its deadline, or the run was loaded before under another
 * contract (a reload is left to the run's `sluice.object.staged`).
 */
export type EarlyStartStop = "quarantined" | "deadline" | "reload";

/**
 * An early start that stops without loading: its transaction rolls back and the split is acked.
 * Not a failure: the run's `sluice.object.staged` event is the reliable trigger and loads it
 * (or the transform's `sluice.object.quarantined` ended it).
 */
export class EarlyStartStopped extends Error {
  override readonly name = "EarlyStartStopped";

  constructor(
    readonly reason: EarlyStartStop,
    message: string,
  ) {
    super(message);
  }
}

/** How long and how often an early start looks for the next part. */
export interface PartsWait {
  /** Epoch milliseconds after which it stops waiting ({@link EarlyStartStopped} `deadline`). */
  deadline: number;
  /** The first pause between two looks; doubles while nothing new comes, back to this when something does. */
  pollMs: number;
  /** The longest pause between two looks. */
  maxPollMs: number;
}

/**
 * The staged rows of a run whose parts are still being staged: part `i` is handed over once its
 * `part.json` (written after its rows) is in the staging bucket, so each part is copied while the
 * next ones are staged. The parts end when `parts/plan.json` says there are no more; the run is
 * complete when its `manifest.json` (written by the last part) is there too, and is then checked:
 * against the split's run and the deployed contract (columns, `_sluice_line` first, fingerprint),
 * and each part copied against the manifest's entry, and the parts' totals against the run's.
 * Waiting polls the store (HEAD requests) with backoff.
 *
 * @throws EarlyStartStopped when `parts/quarantined.json` appears or the deadline passes while waiting.
 * @throws StagedRunMismatchError / ChecksumMismatchError when the run's documents do not agree.
 */
export function arrivingParts(
  run: LoadedRun & { attempt: string },
  contract: DatasetContract,
  store: ObjectStore,
  wait: PartsWait,
): StagedRows {
  const keys = runPartsKeysOf(run.dataset, run.runId, run.attempt);
  const { bucket } = run.staged;
  const found: PartManifest[] = [];
  let plan: PartsPlan | undefined;
  let complete: Promise<StagingManifest> | undefined;
  let pauseMs = wait.pollMs;

  const exists = async (key: string) => (await store.head(bucket, key)) !== undefined;

  async function readPlan(): Promise<PartsPlan | undefined> {
    if (!(await exists(keys.planKey))) return undefined;
    return readStagedDocument(store, bucket, keys.planKey, partsPlanSchema, "parts plan");
  }

  /** One pause of the wait for `what`, unless the run was quarantined or the deadline passed. */
  async function pause(what: string): Promise<void> {
    if (await exists(keys.quarantineKey)) {
      throw new EarlyStartStopped(
        "quarantined",
        `run ${run.runId} was quarantined while its parts were staged`,
      );
    }
    const left = wait.deadline - Date.now();
    if (left <= 0) {
      throw new EarlyStartStopped(
        "deadline",
        `${what} of run ${run.runId} was not staged before the deadline`,
      );
    }
    await sleep(Math.min(pauseMs, left));
    pauseMs = Math.min(pauseMs * 2, wait.maxPollMs);
  }

  /** Part `index` once it is staged, or `undefined` when the plan says the run has fewer parts. */
  async function part(index: number): Promise<PartManifest | undefined> {
    if (index < found.length) return found[index];
    const key = keys.part(index).manifestKey;
    for (;;) {
      if (await exists(key)) {
        const manifest = await readStagedDocument(store, bucket, key, partManifestSchema, "part manifest");
        if (manifest.runId !== run.runId || manifest.part.index !== index) {
          throw new StagedRunMismatchError(
            `part manifest ${key} describes part ${manifest.part.index} of run ${manifest.runId}, not part ${index} of run ${run.runId}`,
            { bucket, key, runId: run.runId },
          );
        }
        found.push(manifest);
        pauseMs = wait.pollMs;
        return manifest;
      }
      plan ??= await readPlan();
      if (plan && index >= plan.parts) return undefined;
      await pause(`part ${index}`);
    }
  }

  async function* objects(): AsyncGenerator<RowsObject> {
    for (let index = 0; ; index++) {
      const manifest = await part(index);
      if (!manifest) break;
      yield {
        bucket,
        key: keys.part(index).rowsKey,
        sha256: manifest.rowsSha256,
        bytes: manifest.rowsBytes,
        rows: manifest.counts.staged,
        describedIn: `their part.json (${keys.part(index).manifestKey})`,
      };
    }
    await runManifest();
  }

  async function waitForRunManifest(): Promise<StagingManifest> {
    for (;;) {
      plan ??= await readPlan();
      if (plan && (await exists(run.staged.manifestKey))) break;
      await pause("the run's manifest");
    }
    const manifest = await readManifest(store, run);
    checkManifest(manifest, run, contract);
    checkStagedUnder(manifest, contract, run);
    for (let index = 0; index < plan.parts; index++) await part(index);
    checkPartsAgree(manifest, found, run);
    checkPartsTotals(manifest, run);
    return manifest;
  }

  function runManifest(): Promise<StagingManifest> {
    complete ??= waitForRunManifest();
    return complete;
  }

  return {
    // Parts are staged with their lines first; the run's manifest confirms it at the end.
    lines: true,
    objects,
    manifest: runManifest,
  };
}

/**
 * The rows were copied as the deployed contract's, `_sluice_line` first, and the ledger records
 * the deployed contract: the run must have been staged under exactly that.
 */
function checkStagedUnder(manifest: StagingManifest, contract: DatasetContract, run: LoadedRun): void {
  const fingerprint = contractFingerprint(contract);
  if (!hasStagedLines(manifest) || manifest.contractHash !== fingerprint) {
    throw new StagedRunMismatchError(
      `run ${run.runId} was staged under contract ${contract.name} v${manifest.contractVersion} (${manifest.contractHash ?? "no fingerprint"}), not the deployed v${contract.version} (${fingerprint}) its parts were copied as`,
      { runId: run.runId, contractHash: manifest.contractHash, deployedHash: fingerprint },
    );
  }
}

/** Each part copied is the one the run's manifest lists: same key, digest, size and rows, and no other. */
function checkPartsAgree(
  manifest: StagingManifest,
  copied: readonly PartManifest[],
  run: LoadedRun & { attempt: string },
): void {
  const listed = manifest.parts ?? [];
  const keys = runPartsKeysOf(run.dataset, run.runId, run.attempt);
  const differs = (index: number): boolean => {
    const entry = listed[index];
    const part = copied[index];
    return (
      !entry ||
      !part ||
      entry.rowsKey !== keys.part(index).rowsKey ||
      entry.rowsSha256 !== part.rowsSha256 ||
      entry.rowsBytes !== part.rowsBytes ||
      entry.counts.staged !== part.counts.staged
    );
  };
  const count = Math.max(listed.length, copied.length);
  for (let index = 0; index < count; index++) {
    if (!differs(index)) continue;
    throw new ChecksumMismatchError(
      `part ${index} of run ${run.runId}: the run's manifest (${listed.length} parts) and the part.json copied (${copied.length} parts) differ`,
      { runId: run.runId, index, listedParts: listed.length, copiedParts: copied.length },
    );
  }
}
