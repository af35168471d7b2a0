import type { Route } from "../events/envelope";
import type { ObjectRef } from "../objects/object-ref";
import type { RunId } from "../run-id";

/**
 * Where a run's staged outputs live in the staging bucket. Every key is addressed by the run
 * id, so re-staging the same run overwrites its outputs instead of adding a second copy.
 */
export interface StagingKeys {
  /** Valid rows: gzip of CSV in Postgres `COPY … (FORMAT csv)` form, no header, contract field order. */
  rowsKey: string;
  /** Rejected rows: NDJSON, one {@link Rejection} per line. */
  rejectsKey: string;
  /** The {@link StagingManifest}, written last: its presence means the other two are complete. */
  manifestKey: string;
}

/** Staging keys of `runId` in `dataset`. */
export function stagingKeysOf(dataset: string, runId: RunId): StagingKeys {
  const base = `staged/${dataset}/${runId}`;
  return {
    rowsKey: `${base}/rows.csv.gz`,
    rejectsKey: `${base}/rejects.ndjson`,
    manifestKey: `${base}/manifest.json`,
  };
}

/** The manifest of one staged run. */
export interface StagingManifest {
  runId: RunId;
  dataset: string;
  contractVersion: number;
  object: ObjectRef;
  route: Route;
  /** Which phase produced the outputs (`transform` or `legacy-wrapper`). */
  producer: string;
  /** Column order of the staged rows. */
  columns: string[];
  format: "csv+gzip";
  counts: { rows: number; staged: number; rejected: number };
  /** SHA-256 (hex) of the staged rows object's bytes, checked by the loader before loading. */
  rowsSha256: string;
  rowsBytes: number;
  createdAt: string;
}

/**
 * One value in Postgres CSV form: `null` is an unquoted empty field; anything containing the
 * delimiter, a quote, CR/LF, or that is empty, is quoted (so an empty string is not NULL).
 */
export function encodeCsvValue(value: string | null): string {
  if (value === null) return "";
  if (value === "") return '""';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 44 || c === 34 || c === 10 || c === 13 || c === 92) return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}

/** One staged row as a CSV line (with trailing newline). */
export function encodeCsvRow(values: readonly (string | null)[]): string {
  let line = "";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ",";
    line += encodeCsvValue(values[i]!);
  }
  return `${line}\n`;
}
