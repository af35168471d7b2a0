import type { FormatSpec } from "@sluice/core";

/** One column of a sample: where it is in the source (a CSV column name or a dot path) and its values. */
export interface SampledColumn {
  /** The CSV header's name, or the dot path into a JSON/Parquet record (`properties.mag`). */
  source: string;
  /** The column's value in each sampled record, in order (`undefined` where a record lacks it). */
  values: unknown[];
}

/** What sniffing a text sample found: the format to read it with and a note for each guess. */
export interface SniffedFormat {
  format: FormatSpec;
  /** CSV: the column names, in order (the records of JSON-like formats name their own). */
  names?: string[];
  notes: string[];
}

/** A sample's columns, as read with the format sniffed. */
export interface SampledRecords {
  format: FormatSpec;
  columns: SampledColumn[];
  /** Records sampled. */
  rows: number;
  /** True when values come typed (JSON, Parquet), false when they are text (CSV). */
  typed: boolean;
  /** One line for each guess the reader made (delimiter, header, records path, …). */
  notes: string[];
}

/** How deep nested objects are split into columns by dot path; deeper values stay one `json` column. */
export const MAX_FLATTEN_DEPTH = 3;

/**
 * The columns of JSON-like records (JSON, NDJSON, Parquet as staging reads it: structs are
 * objects, lists arrays, bytes base64 text): nested objects become dot paths
 * (`properties.mag`) down to {@link MAX_FLATTEN_DEPTH}; arrays, deeper objects and keys that hold
 * a dot stay whole (a `json` column). A path that is an object in one record and a value in
 * another stays whole; one that is only ever null besides being an object is split. Columns are
 * in the order first seen.
 */
export function columnsOfRecords(records: readonly unknown[]): SampledColumn[] {
  const leaves = new Map<string, boolean>(); // path -> holds a non-null value somewhere
  const visit = (value: unknown, path: string, depth: number) => {
    if (isPlainObject(value) && (path === "" || depth < MAX_FLATTEN_DEPTH)) {
      for (const [key, inner] of Object.entries(value)) {
        if (!key.includes(".")) visit(inner, path ? `${path}.${key}` : key, depth + 1);
      }
      return;
    }
    if (path !== "") leaves.set(path, (leaves.get(path) ?? false) || (value !== null && value !== undefined));
  };
  for (const record of records) visit(record, "", 0);
  const paths = [...leaves.keys()];
  const isPrefix = (path: string) => paths.some((other) => other.startsWith(`${path}.`));
  const kept = paths.filter((path) => {
    const parents = paths.filter((other) => path.startsWith(`${other}.`));
    if (parents.some((parent) => leaves.get(parent))) return false;
    return !(isPrefix(path) && !leaves.get(path));
  });
  return kept.map((source) => ({ source, values: records.map((record) => valueAt(record, source)) }));
}

/** The value at a dot path of a record, or undefined. */
export function valueAt(record: unknown, path: string): unknown {
  let value = record;
  for (const key of path.split(".")) {
    if (!isPlainObject(value)) return undefined;
    value = value[key];
  }
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
