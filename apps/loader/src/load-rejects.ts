import { type ObjectStore, QuarantineError, type Rejection, type StagingManifest } from "@sluice/core";
import type { LoadedRun } from "./manifest";

/** The `reason` of a load quarantined for too many rejected rows (the same as staging's). */
export const BAD_ROW_RATIO = "bad-row-ratio";

/**
 * The rows one load rejected: repeats under `onDuplicateKey: reject` and rows the table
 * refused. Keeps the first `maxKept` (for `load-rejects.ndjson`), counts them all.
 */
export class LoaderRejections {
  readonly #kept: Rejection[] = [];
  #count = 0;

  constructor(private readonly maxKept: number) {}

  /** Rejections counted so far. */
  get count(): number {
    return this.#count;
  }

  /** The kept rejections, in the order they were found. */
  get kept(): readonly Rejection[] {
    return this.#kept;
  }

  add(rejection: Rejection): void {
    this.#count += 1;
    if (this.#kept.length < this.maxKept) this.#kept.push(rejection);
  }

  /** Counts `count` rejections of which only `listed` (the first ones) are known in detail. */
  addCounted(count: number, listed: readonly Rejection[]): void {
    for (const rejection of listed) this.add(rejection);
    this.#count += Math.max(0, count - listed.length);
  }
}

/** Key of the loader's rejections of `run`: `load-rejects.ndjson` beside the run's staged files. */
export function loadRejectsKeyOf(run: LoadedRun): string {
  const { rejectsKey } = run.staged;
  return `${rejectsKey.slice(0, rejectsKey.lastIndexOf("/") + 1)}load-rejects.ndjson`;
}

/** Writes `rejections` as NDJSON (`{line, field, reason, value}` per line, like `rejects.ndjson`). */
export async function writeLoadRejects(
  store: ObjectStore,
  run: LoadedRun,
  rejections: readonly Rejection[],
): Promise<string> {
  const key = loadRejectsKeyOf(run);
  const body = rejections.map((rejection) => `${JSON.stringify(rejection)}\n`).join("");
  await store.put(run.staged.bucket, key, body, { contentType: "application/x-ndjson" });
  return key;
}

/**
 * True when the run's rejected rows, the transform's and the loader's together, are more of the
 * rows read than the contract's `maxBadRowRatio` allows (the ratio staging applies, counted again
 * with the rows the table refused).
 */
export function exceedsBadRowRatio(
  counts: StagingManifest["counts"],
  loaderRejected: number,
  maxBadRowRatio: number,
): boolean {
  return counts.rows > 0 && (counts.rejected + loaderRejected) / counts.rows > maxBadRowRatio;
}

/**
 * Too many rows of the run were rejected: the load is rolled back and the object quarantined
 * (`sluice.object.quarantined`, reason {@link BAD_ROW_RATIO}) instead of loaded.
 */
export class TooManyRejectionsError extends QuarantineError {
  constructor(
    message: string,
    /** Every rejection of the loader (transform rejects are in the run's `rejects.ndjson`). */
    readonly rejections: LoaderRejections,
  ) {
    super(BAD_ROW_RATIO, message, { rejected: rejections.count });
  }
}
