import { basename } from "node:path";
import { type DatasetContractInput, parseDatasetContract, QuarantineError } from "@sluice/core";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { type ColumnGuess, guessColumn, textType } from "./column-types";
import type { SampledColumn } from "./records";
import { readFileSample } from "./sample";

/** Options of {@link inferContract}. */
export interface InferOptions {
  /** The dataset name (default: the file's name as an identifier). */
  name?: string;
  /**
   * How much of the content is read: decompressed bytes of a text file; of a Parquet file, the
   * first rows whose values, written out as text, take about that much.
   */
  sampleBytes: number;
}

/** Default sample size: 4 MiB. */
export const DEFAULT_INFER_OPTIONS: Omit<InferOptions, "name"> = {
  sampleBytes: 4 * 1024 * 1024,
};

/** A proposed contract and a note for each guess that went into it. */
export interface InferredContract {
  contract: DatasetContractInput;
  notes: string[];
  sample: { rows: number; wholeFile: boolean };
}

/** A lower-case SQL identifier made of `text`: `Beak Length (mm)` → `beak_length_mm`, `magType` → `mag_type`. */
export function identifierOf(text: string): string {
  let name = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "") name = "column";
  if (/^[0-9]/.test(name)) name = `c_${name}`;
  return name.slice(0, 63);
}

/** Field names for the columns: the last part of each path, or the whole path where that repeats. */
function fieldNames(columns: readonly SampledColumn[]): string[] {
  const leaf = (source: string) => identifierOf(source.split(".").at(-1)!);
  const counts = new Map<string, number>();
  for (const column of columns) counts.set(leaf(column.source), (counts.get(leaf(column.source)) ?? 0) + 1);
  const taken = new Set<string>();
  return columns.map((column) => {
    const short = leaf(column.source);
    let name = counts.get(short) === 1 || !column.source.includes(".") ? short : identifierOf(column.source);
    for (let i = 2; taken.has(name); i++) name = `${short}_${i}`;
    taken.add(name);
    return name;
  });
}

/** Names that say "identifier", the likeliest first. */
const ID_LIKE = [/^id$/, /_id$/, /^(uuid|key)$|_(uuid|key)$/, /^code$|_code$/];
const idRank = (name: string) => {
  const rank = ID_LIKE.findIndex((pattern) => pattern.test(name));
  return rank < 0 ? ID_LIKE.length : rank;
};
const KEY_TYPES = new Set(["integer", "string", "date", "timestamp"]);

/** True when no two rows have the same values in `columns`. */
function unique(columns: readonly SampledColumn[], rows: number): boolean {
  const seen = new Set<string>();
  for (let row = 0; row < rows; row++) {
    const key = JSON.stringify(columns.map((c) => String(c.values[row])));
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

/**
 * A candidate primary key, unique and non-null in the sample: an id-like column (`id`, `…_id`,
 * `code`, …), else a date or timestamp column (a time series), else a text or integer column of
 * few values with a date or timestamp column (`symbol` + `date`).
 */
function guessPrimaryKey(
  fields: readonly { name: string; column: SampledColumn; guess: ColumnGuess }[],
  rows: number,
): { key: string[]; note: string } | undefined {
  if (rows < 2) return undefined;
  const keyable = fields.filter((f) => f.guess.field.required && KEY_TYPES.has(f.guess.field.type));
  const single = keyable
    .filter(
      (f) =>
        idRank(f.name) < ID_LIKE.length ||
        f.guess.field.type === "date" ||
        f.guess.field.type === "timestamp",
    )
    .sort((a, b) => idRank(a.name) - idRank(b.name))
    .find((f) => unique([f.column], rows));
  if (single)
    return {
      key: [single.name],
      note: `primaryKey [${single.name}]: unique and never empty in ${rows} sampled rows`,
    };
  const times = keyable.filter((f) => f.guess.field.type === "date" || f.guess.field.type === "timestamp");
  const groups = keyable.filter(
    (f) =>
      ["string", "integer"].includes(f.guess.field.type) && new Set(f.guess.values.map(String)).size <= 50,
  );
  for (const group of groups)
    for (const time of times)
      if (unique([group.column, time.column], rows))
        return {
          key: [group.name, time.name],
          note: `primaryKey [${group.name}, ${time.name}]: together unique and never empty in ${rows} sampled rows`,
        };
  return undefined;
}

/** The first line of a CSV is data when every typed column of the rows below also reads it. */
function looksLikeData(first: readonly string[], rest: readonly (readonly string[])[]): boolean {
  let typed = 0;
  for (let i = 0; i < first.length; i++) {
    const values = rest.map((row) => row[i] ?? "").filter((v) => v !== "");
    const below = textType(values, "").field;
    if (below.type === "string" || values.length === 0) continue;
    typed += 1;
    const withFirst = textType([...values, first[i]!], "").field;
    if (withFirst.type !== below.type || withFirst.format !== below.format) return false;
  }
  return typed > 0;
}

/**
 * Reads a sample of `path` and proposes a contract for it: the format (CSV delimiter and header,
 * JSON records path, NDJSON, Parquet), one field per column (lower-case names, `source` for the
 * original), types with their formats, null tokens, required fields, enums, decimal scales, a
 * candidate primary key (else load mode `append`), and a note for each guess. The contract is
 * valid by core's schema; what it cannot know from a sample (limits, constraints) is left out.
 * A file the pipeline would quarantine whatever its contract (not UTF-8, a zip, a broken gzip)
 * fails as a `CliError` (exit `attention`) naming the reason.
 */
export async function inferContract(path: string, options: InferOptions): Promise<InferredContract> {
  const records = await readFileSample(path, options.sampleBytes, looksLikeData).catch((error: unknown) => {
    if (!(error instanceof QuarantineError)) throw error;
    throw new CliError(
      `${path}: the pipeline would quarantine it (${error.code}): ${error.message}`,
      EXIT.attention,
    );
  });
  const name = identifierOf(
    options.name ?? basename(path).replace(/(\.(csv|tsv|txt|json|ndjson|jsonl|parquet|gz))+$/i, ""),
  );
  const notes = [...records.notes];
  notes.push(
    `sample: ${records.rows} records${records.wholeFile ? " (the whole file)" : ` (the first ${options.sampleBytes} bytes; pass --sample-bytes to read more)`}`,
  );
  const names = fieldNames(records.columns);
  const fields = records.columns.map((column, i) => {
    const guess = guessColumn(column, names[i]!, { typed: records.typed, wholeFile: records.wholeFile });
    return { name: names[i]!, column, guess };
  });
  const nullTokens = [...new Set(fields.flatMap((f) => f.guess.nullTokens))];
  const primaryKey = guessPrimaryKey(fields, records.rows);
  for (const { name: field, column, guess } of fields) {
    const from = field !== column.source ? ` (from ${JSON.stringify(column.source)})` : "";
    notes.push(`field ${field}${from}: ${guess.notes.join("; ")}`);
  }
  if (nullTokens.length > 0)
    notes.push(
      `nullValues ["", ${nullTokens.map((t) => JSON.stringify(t)).join(", ")}]: tokens used for NULL in typed columns; they mean NULL in every field`,
    );
  notes.push(
    primaryKey
      ? `${primaryKey.note}; load mode merge (the default with a key)`
      : "no primary key: no column (or date/time pair) is unique and never empty in the sample; load mode append",
  );
  const contract: DatasetContractInput = {
    name,
    version: 1,
    description: `Proposed by sluice contract infer from ${basename(path)} (${records.rows} records sampled).`,
    match: { prefix: `${name}/` },
    format: records.format,
    ...(nullTokens.length > 0 ? { nullValues: ["", ...nullTokens] } : {}),
    fields: fields.map(({ name: field, column, guess }) => ({
      name: field,
      ...(field !== column.source ? { source: column.source } : {}),
      ...guess.field,
    })) as DatasetContractInput["fields"],
    ...(primaryKey ? { primaryKey: primaryKey.key } : { load: { mode: "append" as const } }),
    table: name,
    quarantine: { maxBadRowRatio: 0 },
  };
  parseDatasetContract(contract, "the inferred contract");
  return { contract, notes, sample: { rows: records.rows, wholeFile: records.wholeFile } };
}
