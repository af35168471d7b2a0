import type { Readable } from "node:stream";
import {
  columnsOf,
  type DatasetContract,
  type EventData,
  formatObjectRef,
  type ObjectStore,
  parseStagingDocument,
  STAGED_LINE_COLUMN,
  type StagingManifest,
  stagingManifestSchema,
} from "@sluice/core";
import { StagedRunMismatchError } from "./errors";

/** The staged run an `sluice.object.staged` event announces. */
export type StagedRun = EventData<"sluice.object.staged">;

/**
 * What a load needs to know of the run it loads: the run, its raw object, and where its staged
 * outputs are. A `sluice.object.staged` event says it, and so does a `sluice.object.split` (the
 * run's parts are still being staged).
 */
export type LoadedRun = Pick<StagedRun, "runId" | "object" | "dataset" | "route" | "staged">;

/**
 * Reads the run's manifest from the staging bucket and validates it with core's schema.
 *
 * @throws StagedRunMismatchError (dead-letter) when it is not JSON or a field is missing or wrong.
 */
export function readManifest(store: ObjectStore, run: Pick<LoadedRun, "staged">): Promise<StagingManifest> {
  const { bucket, manifestKey } = run.staged;
  return readStagedDocument(store, bucket, manifestKey, stagingManifestSchema, "manifest");
}

/**
 * Reads a JSON document of the staging bucket (a manifest, a part's `part.json`, a run's
 * `plan.json`) and validates it against `schema`.
 *
 * @throws StagedRunMismatchError (dead-letter) naming `what` and the object when it is not JSON
 *   or a field is missing or wrong.
 */
export async function readStagedDocument<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  schema: Parameters<typeof parseStagingDocument<T>>[0],
  what: string,
): Promise<T> {
  const parsed = parseStagingDocument(schema, await readText(await store.get(bucket, key)));
  if (!parsed.ok) {
    throw new StagedRunMismatchError(`${what} ${formatObjectRef({ bucket, key })} ${parsed.problem}`, {
      bucket,
      key,
      ...(parsed.field === undefined ? {} : { field: parsed.field }),
    });
  }
  return parsed.value;
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
export function checkManifest(manifest: StagingManifest, run: LoadedRun, contract: DatasetContract): void {
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
