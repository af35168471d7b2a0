import { columnsOf, type DatasetContract, type FieldType } from "../datasets/contract";
import type { RunId } from "../run-id";

/**
 * Where a run's staged outputs live in the staging bucket. Every key is addressed by the run
 * id, so re-staging the same run overwrites its outputs instead of adding a second copy.
 */
export interface StagingKeys {
  /**
   * Valid rows: gzip of CSV in Postgres `COPY … (FORMAT csv)` form, no header; each row its line
   * ({@link STAGED_LINE_COLUMN}), then the contract's fields in order.
   */
  rowsKey: string;
  /** Rejected rows: NDJSON, one {@link Rejection} per line. */
  rejectsKey: string;
  /** The manifest (`StagingManifest`), written last: its presence means the other two are complete. */
  manifestKey: string;
}

/**
 * The first column of every staged row: the physical line of the raw file where the record
 * starts. The loader uses it to name the line of a row the table refuses or a repeated key, and
 * (with lineage) keeps it beside the run id. It is listed first in the manifest's `columns`.
 */
export const STAGED_LINE_COLUMN = "_sluice_line";

/** The columns of a run's staged rows, as its manifest lists them: {@link STAGED_LINE_COLUMN}, then the contract's fields. */
export function stagedColumnsOf(contract: DatasetContract): string[] {
  return [STAGED_LINE_COLUMN, ...columnsOf(contract)];
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

/**
 * Where the outputs of one attempt of a run fanned out over parts live: under `parts/<attempt>/`
 * beside the run's manifest. The attempt is the id of the `sluice.object.received` event that
 * split the object: a redelivery of that message finds its own parts again, a replay (a new
 * event) starts from nothing and never completes with an earlier attempt's parts.
 */
export interface RunPartsKeys {
  /**
   * The plan (`PartsPlan`), written once the pre-scan has found every part: until it is there,
   * more parts may come.
   */
  planKey: string;
  /** Written when a part quarantines the run: nothing of the run will load. */
  quarantineKey: string;
  /** The keys of part `index`: its rows, its rejections and its manifest (`PartManifest`), written last. */
  part(index: number): StagingKeys;
}

/** The parts keys of `attempt` of `runId` in `dataset` (see {@link RunPartsKeys}). */
export function runPartsKeysOf(dataset: string, runId: RunId, attempt: string): RunPartsKeys {
  const base = `staged/${dataset}/${runId}/parts/${attempt}`;
  return {
    planKey: `${base}/plan.json`,
    quarantineKey: `${base}/quarantined.json`,
    part: (index) => {
      const prefix = `${base}/${String(index).padStart(5, "0")}`;
      return {
        rowsKey: `${prefix}/rows.csv.gz`,
        rejectsKey: `${prefix}/rejects.ndjson`,
        manifestKey: `${prefix}/part.json`,
      };
    },
  };
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

/**
 * Column types whose validated values never need quoting: the row validator normalises them to
 * digits, signs, points, `-`, `:`, `T`, `Z` or the words true/false, and never to "".
 */
const NEVER_QUOTED: ReadonlySet<FieldType> = new Set(["integer", "decimal", "boolean", "date", "timestamp"]);

/** `0` to `999`, and the same padded to three digits: line numbers are written from them. */
const UNDER_1000 = Array.from({ length: 1000 }, (_, i) => String(i));
const THREE_DIGITS = UNDER_1000.map((text) => text.padStart(3, "0"));

/**
 * The decimal text of a line number (a non-negative integer), written from three-digit groups.
 * `String(line)` goes through V8's number-to-string cache, whose churn at a new number per row
 * tripled the garbage collector's share of staging (measured: 3.2M rows took 0.9 s more CPU, the
 * transform bench lost ~10% of its throughput); table lookups leave nothing behind.
 */
function lineText(line: number): string {
  if (line < 1000) return UNDER_1000[line]!;
  let text = THREE_DIGITS[line % 1000]!;
  let rest = Math.floor(line / 1000);
  while (rest >= 1000) {
    text = THREE_DIGITS[rest % 1000]! + text;
    rest = Math.floor(rest / 1000);
  }
  return UNDER_1000[rest]! + text;
}

/**
 * Encodes one staged row: its physical line ({@link STAGED_LINE_COLUMN}), then `values`, the
 * output of the contract's row validator for `fields` in field order, as {@link encodeCsvRow}
 * would. Only string columns are scanned for characters to quote; the other types cannot contain
 * any, and scanning every value of every row was a visible share of staging time.
 */
export function compileStagedRowEncoder(
  fields: readonly { type: FieldType }[],
): (line: number, values: readonly (string | null)[]) => string {
  const scanned = fields.map((field) => !NEVER_QUOTED.has(field.type));
  const count = fields.length;
  return (line, values) => {
    let row = lineText(line);
    for (let i = 0; i < count; i++) {
      const value = values[i]!;
      row += ",";
      row += scanned[i] ? encodeCsvValue(value) : (value ?? "");
    }
    return `${row}\n`;
  };
}
