import type { Readable } from "node:stream";
import {
  columnsOf,
  type DatasetContract,
  type EventData,
  formatObjectRef,
  type ObjectStore,
  parseStagingManifest,
  STAGED_LINE_COLUMN,
  type StagingManifest,
} from "@sluice/core";
import { StagedRunMismatchError } from "./errors";

/** The staged run an `sluice.object.staged` event announces. */
export type StagedRun = EventData<"sluice.object.staged">;

/**
 * Reads the run's manifest from the staging bucket and validates it with core's schema.
 *
 * @throws StagedRunMismatchError (dead-letter) when it is not JSON or a field is missing or wrong.
 */
export async function readManifest(store: ObjectStore, run: StagedRun): Promise<StagingManifest> {
  const { bucket, manifestKey } = run.staged;
  const parsed = parseStagingManifest(await readText(await store.get(bucket, manifestKey)));
  if (!parsed.ok) {
    const where = formatObjectRef({ bucket, key: manifestKey });
    throw new StagedRunMismatchError(`manifest ${where} ${parsed.problem}`, {
      bucket,
      key: manifestKey,
      ...(parsed.field === undefined ? {} : { field: parsed.field }),
    });
  }
  return parsed.manifest;
}

/**
 * True when the staged rows start with the raw object's line number (`_sluice_line`), as every
 * producer writes them since lineage; runs staged before carry only the contract's fields.
 */
export function hasStagedLines(manifest: Pick<StagingManifest, "columns">): boolean {
  return manifest.columns[0] === STAGED_LINE_COLUMN;
}

/**
 * Checks the manifest describes the event's run and that its columns are the deployed
 * contract's fields in order (after the line number, when the run has one), so no value can
 * land in the wrong column.
 *
 * @throws StagedRunMismatchError (dead-letter) naming both sides when they differ.
 */
export function checkManifest(manifest: StagingManifest, run: StagedRun, contract: DatasetContract): void {
  const where = formatObjectRef({ bucket: run.staged.bucket, key: run.staged.manifestKey });
  if (manifest.runId !== run.runId || manifest.dataset !== run.dataset) {
    throw new StagedRunMismatchError(
      `manifest ${where} describes run ${manifest.runId} of ${manifest.dataset}, not run ${run.runId} of ${run.dataset}`,
      { manifestRunId: manifest.runId, runId: run.runId },
    );
  }
  const expected = columnsOf(contract);
  const staged = hasStagedLines(manifest) ? manifest.columns.slice(1) : manifest.columns;
  const same = staged.length === expected.length && staged.every((column, i) => column === expected[i]);
  if (!same) {
    throw new StagedRunMismatchError(
      `staged columns (${manifest.columns.join(", ")}) of ${where} (contract v${manifest.contractVersion}) do not match contract ${contract.name} v${contract.version} (${expected.join(", ")})`,
      { staged: manifest.columns, contract: expected, dataset: contract.name },
    );
  }
}

async function readText(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}
