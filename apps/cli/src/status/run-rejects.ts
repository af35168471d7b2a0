import { createInterface } from "node:readline";
import { type ObjectStore, type Rejection, stagingKeysOf } from "@sluice/core";
import type { RunStatus } from "./object-status";

/** Which phase rejected a row: the transform (validation) or the loader (the table refused it). */
export type RejectionSource = "transform" | "loader";

/** One rejected row of a run, with the phase that rejected it. */
export interface RunRejection extends Rejection {
  source: RejectionSource;
}

/** The rejected rows of one run, read from its staging files. */
export interface RunRejects {
  runId: string;
  key: string;
  dataset?: string;
  /** Rows each phase rejected, counted from its rejects file. */
  counts: Record<RejectionSource, number>;
  /** Rows the loader rejected beyond the ones it listed (it keeps the first `maxKept`). */
  loaderUnlisted: number;
  /** The rejections, transform's first, at most the limit asked for. */
  rejections: RunRejection[];
  /** The staging objects read, as `s3://bucket/key` (or the local bucket's). */
  files: string[];
}

/**
 * The rejected rows of `run`'s latest attempt: the transform's `rejects.ndjson` (core staging
 * layout, written when a run staged or quarantined for its rows rejected any: one left by an
 * earlier attempt that did is not read when the latest rejected none) and, when the loader
 * rejected rows, its `load-rejects.ndjson`. Files are streamed line by line; every line is
 * counted, the first `limit` (0: all) are kept.
 */
export async function readRunRejects(
  store: ObjectStore,
  stagingBucket: string,
  run: RunStatus,
  limit: number,
): Promise<RunRejects> {
  const result: RunRejects = {
    runId: run.runId,
    key: run.key,
    ...(run.dataset ? { dataset: run.dataset } : {}),
    counts: { transform: 0, loader: 0 },
    loaderUnlisted: 0,
    rejections: [],
    files: [],
  };
  const sources: [RejectionSource, string | undefined][] = [
    [
      "transform",
      run.dataset && run.rows?.rejected !== 0 ? stagingKeysOf(run.dataset, run.runId).rejectsKey : undefined,
    ],
    ["loader", run.loadRejectsKey],
  ];
  for (const [source, key] of sources) {
    if (key === undefined || !(await store.head(stagingBucket, key))) continue;
    result.files.push(`s3://${stagingBucket}/${key}`);
    const lines = createInterface({ input: await store.get(stagingBucket, key), crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === "") continue;
      result.counts[source] += 1;
      if (limit === 0 || result.rejections.length < limit)
        result.rejections.push({ source, ...(JSON.parse(line) as Rejection) });
    }
  }
  result.loaderUnlisted = Math.max(0, (run.load?.rejected ?? 0) - result.counts.loader);
  return result;
}
