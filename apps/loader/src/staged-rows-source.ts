import { formatObjectRef, partsDigest, type StagingManifest } from "@sluice/core";
import { ChecksumMismatchError } from "./errors";
import { hasStagedLines, type LoadedRun } from "./manifest";

/** One staged rows object (gzip CSV) to COPY, and what its bytes and rows must match. */
export interface RowsObject {
  bucket: string;
  key: string;
  /** SHA-256 (hex) of its bytes, as its manifest says. */
  sha256: string;
  /** Its size in bytes, as its manifest says. */
  bytes: number;
  /** The rows it holds, as its manifest says. */
  rows: number;
  /** The document that says so, for error messages: `their manifest`, `part 3 of the run's manifest`. */
  describedIn: string;
}

/**
 * Where a load reads a run's staged rows: the rows objects in order, the run's manifest, and
 * whether the rows carry their raw line first. A staged run has them all at once
 * ({@link stagedRowsOf}); a run whose parts are still being staged hands each part over as it
 * arrives (`arrivingParts`).
 */
export interface StagedRows {
  /** True when each row starts with its line in the raw object (`_sluice_line`). */
  readonly lines: boolean;
  /**
   * The rows objects in order: one, or the run's parts. Iterating again (a strategy that did not
   * fit, then the next) yields the same objects; a part still being staged is waited for.
   */
  objects(): AsyncIterable<RowsObject>;
  /** The run's checked manifest: at once for a staged run, once the run is complete for one still being staged. */
  manifest(): Promise<StagingManifest>;
}

/**
 * The staged rows of a run whose manifest is written: its one rows object, or — for a run fanned
 * out over parts — its parts' rows objects in index order, after checking that the parts add up
 * to the run ({@link checkPartsTotals}).
 *
 * @throws ChecksumMismatchError (retry) when the parts do not add up to the manifest's totals.
 */
export function stagedRowsOf(manifest: StagingManifest, run: LoadedRun): StagedRows {
  const { bucket } = run.staged;
  const objects: RowsObject[] = manifest.parts
    ? manifest.parts.map((part) => ({
        bucket,
        key: part.rowsKey,
        sha256: part.rowsSha256,
        bytes: part.rowsBytes,
        rows: part.counts.staged,
        describedIn: `part ${part.index} of the run's manifest`,
      }))
    : [
        {
          bucket,
          key: run.staged.rowsKey,
          sha256: manifest.rowsSha256,
          bytes: manifest.rowsBytes,
          rows: manifest.counts.staged,
          describedIn: "their manifest",
        },
      ];
  if (manifest.parts) checkPartsTotals(manifest, run);
  return {
    lines: hasStagedLines(manifest),
    async *objects() {
      yield* objects;
    },
    manifest: () => Promise.resolve(manifest),
  };
}

/**
 * Checks that a fanned-out run's parts make up the run its manifest describes: indexes 0..n-1 in
 * order, their staged rows summing to `counts.staged`, their bytes to `rowsBytes`, and the SHA-256
 * of their digests (hex, concatenated in order) equal to `rowsSha256`. Each part's own bytes are
 * checked against its entry while it is copied, so together the run's rows are the manifest's.
 *
 * @throws ChecksumMismatchError (retry) naming the manifest and the total that differs.
 */
export function checkPartsTotals(manifest: StagingManifest, run: Pick<LoadedRun, "staged">): void {
  const parts = manifest.parts ?? [];
  const where = formatObjectRef({ bucket: run.staged.bucket, key: run.staged.manifestKey });
  const fail = (problem: string, context: Record<string, unknown>): never => {
    throw new ChecksumMismatchError(`parts of ${where} do not add up to the run: ${problem}`, {
      bucket: run.staged.bucket,
      key: run.staged.manifestKey,
      ...context,
    });
  };
  parts.forEach((part, i) => {
    if (part.index !== i) fail(`entry ${i} is part ${part.index}`, { index: part.index, expectedIndex: i });
  });
  const rows = parts.reduce((sum, part) => sum + part.counts.staged, 0);
  if (rows !== manifest.counts.staged)
    fail(`${rows} rows staged, the run says ${manifest.counts.staged}`, {
      rows,
      expectedRows: manifest.counts.staged,
    });
  const bytes = parts.reduce((sum, part) => sum + part.rowsBytes, 0);
  if (bytes !== manifest.rowsBytes)
    fail(`${bytes} bytes, the run says ${manifest.rowsBytes}`, { bytes, expectedBytes: manifest.rowsBytes });
  const sha256 = partsDigest(parts);
  if (sha256 !== manifest.rowsSha256)
    fail(`SHA-256 of the parts' digests ${sha256}, the run says ${manifest.rowsSha256}`, {
      sha256,
      expectedSha256: manifest.rowsSha256,
    });
}
