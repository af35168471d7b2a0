import {
  COMMON_DATE_FORMATS,
  COMMON_TIMESTAMP_FORMATS,
  compileRowValidator,
  compileTimeFormat,
  isRejection,
  parseDatasetContract,
} from "@sluice/core";
import type { SampledColumn } from "./records";

/** Text that commonly means "no value", tried in every column; `""` is always NULL (the contract default). */
export const NULL_TOKEN_CANDIDATES = [
  "NA",
  "N/A",
  "n/a",
  "NaN",
  "nan",
  "null",
  "NULL",
  "None",
  "none",
  "-",
  "#N/A",
];

/** Tuning of the type guesses. */
export interface TypeGuessSettings {
  /** A text column is an enum candidate with at most this many distinct values… */
  maxEnumValues: number;
  /** …and at least this many values per distinct value on average. */
  minValuesPerEnumValue: number;
}

/** Default {@link TypeGuessSettings}. */
export const DEFAULT_TYPE_GUESS_SETTINGS: TypeGuessSettings = { maxEnumValues: 10, minValuesPerEnumValue: 3 };

/** What one column's values say about its field: the field (without name/source), the null tokens it uses, the guesses made. */
export interface ColumnGuess {
  field: Record<string, unknown> & { type: string };
  /** Tokens of {@link NULL_TOKEN_CANDIDATES} this column uses for NULL. */
  nullTokens: string[];
  /** The column's non-null values, as given (for the primary key and enum guesses). */
  values: unknown[];
  notes: string[];
}

/** A check of one value against a one-field contract, by core's own row validator. */
function accepts(field: Record<string, unknown>): (value: unknown) => boolean {
  const contract = parseDatasetContract({
    name: "infer",
    version: 1,
    match: { prefix: "infer/" },
    format: { type: "ndjson" },
    fields: [{ name: "value", ...field }],
    table: "infer",
  });
  const validate = compileRowValidator(contract);
  return (value) => !isRejection(validate([value], 1));
}

const IS = {
  boolean: accepts({ type: "boolean" }),
  integer: accepts({ type: "integer" }),
  decimal: accepts({ type: "decimal" }),
  date: accepts({ type: "date" }),
  timestamp: accepts({ type: "timestamp" }),
};

const BOOLEAN_WORDS = new Set(["true", "false", "yes", "no"]);
/** Names that say an integer column holds times (seconds or milliseconds since 1970). */
const TIME_NAME = /(^|_)(time|timestamp|date|datetime|updated|created|modified|ts)$|_at$/;

const decimalPlaces = (text: string) => {
  const point = text.indexOf(".");
  return point < 0 ? 0 : text.length - point - 1;
};

/** The first pattern of `candidates` that reads every value, if any. */
function firstFormat(values: readonly string[], candidates: readonly string[], kind: "date" | "timestamp") {
  return candidates.find((format) => {
    const parse = compileTimeFormat(format, kind);
    return values.every((value) => parse(value) !== undefined);
  });
}

/** True for true/false words (`0`/`1` alone are integers; single letters only as a pair, `t`/`f` or `y`/`n`). */
function isBooleanColumn(values: readonly string[]): boolean {
  if (!values.every(IS.boolean)) return false;
  const words = new Set(values.map((v) => v.trim().toLowerCase()));
  if ([...words].every((v) => v === "0" || v === "1")) return false;
  return (
    [...words].some((v) => BOOLEAN_WORDS.has(v)) ||
    (words.has("t") && words.has("f")) ||
    (words.has("y") && words.has("n"))
  );
}

/** The type of text values (CSV, or JSON strings), DuckDB's ladder: boolean, integer, decimal, date, timestamp, patterns, text. */
export function textType(
  values: readonly string[],
  name: string,
): { field: ColumnGuess["field"]; note: string } {
  if (isBooleanColumn(values))
    return { field: { type: "boolean" }, note: "boolean: every value is a true/false word" };
  if (values.every(IS.integer)) {
    if (values.some((v) => /^[+-]?0\d/.test(v.trim())))
      return {
        field: { type: "string" },
        note: "string: whole numbers with leading zeros (codes, not amounts)",
      };
    return epochOrInteger(values.map(Number), name);
  }
  if (values.every(IS.decimal)) {
    const scale = Math.max(...values.map((v) => decimalPlaces(v.trim())));
    return {
      field: { type: "decimal", scale },
      note: `decimal, scale ${scale}: the most decimal places in the sample`,
    };
  }
  if (values.every(IS.date)) return { field: { type: "date" }, note: "date: ISO 8601 (YYYY-MM-DD)" };
  if (values.every(IS.timestamp)) return { field: { type: "timestamp" }, note: "timestamp: ISO 8601" };
  const date = firstFormat(values, COMMON_DATE_FORMATS, "date");
  if (date)
    return {
      field: { type: "date", format: date },
      note: `date, format "${date}": the first common pattern that reads every value`,
    };
  const timestamp = firstFormat(values, COMMON_TIMESTAMP_FORMATS, "timestamp");
  if (timestamp)
    return {
      field: { type: "timestamp", format: timestamp },
      note: `timestamp, format "${timestamp}" (read as UTC): the first common pattern that reads every value`,
    };
  return { field: { type: "string" }, note: "string" };
}

/** An integer column, or a timestamp when its name says time and every value is seconds or milliseconds since 1970. */
function epochOrInteger(
  numbers: readonly number[],
  name: string,
): { field: ColumnGuess["field"]; note: string } {
  if (TIME_NAME.test(name) && numbers.length > 0) {
    if (numbers.every((n) => n >= 1e11 && n < 1e13))
      return {
        field: { type: "timestamp", format: "unix_ms" },
        note: "timestamp, format unix_ms: the name says time and every value is milliseconds since 1970 (2001-2286)",
      };
    if (numbers.every((n) => n >= 1e8 && n < 1e10))
      return {
        field: { type: "timestamp", format: "unix" },
        note: "timestamp, format unix: the name says time and every value is seconds since 1970 (1973-2286)",
      };
  }
  return { field: { type: "integer" }, note: "integer" };
}

/**
 * The type of typed values (JSON, Parquet): by their JS types, strings by {@link textType}.
 * Parquet's come as staging reads them, so its schema needs no second look: 64-bit integers and
 * decimals are exact text (a decimal's with all of its scale's digits), dates and timestamps ISO text.
 */
function typedType(values: readonly unknown[], name: string): { field: ColumnGuess["field"]; note: string } {
  const kinds = new Set(values.map((v) => (typeof v === "object" ? "object" : typeof v)));
  const only = kinds.size === 1 ? [...kinds][0] : undefined;
  if (only === "boolean") return { field: { type: "boolean" }, note: "boolean" };
  if (only === "number") {
    const numbers = values as number[];
    if (numbers.some((n) => String(n).includes("e")))
      return {
        field: { type: "string" },
        note: "string: some numbers are in exponent notation, which a decimal column refuses",
      };
    if (numbers.every(Number.isSafeInteger)) return epochOrInteger(numbers, name);
    const scale = Math.max(...numbers.map((n) => decimalPlaces(String(n))));
    return {
      field: { type: "decimal", scale },
      note: `decimal, scale ${scale}: the most decimal places in the sample`,
    };
  }
  if (only === "string") return textType(values as string[], name);
  if (kinds.has("object")) return { field: { type: "json" }, note: "json (kept nested, stored as jsonb)" };
  return { field: { type: "string" }, note: `string: values of several kinds (${[...kinds].join(", ")})` };
}

/**
 * Guesses the field of one sampled column: its null tokens, type (with its format, scale or
 * epoch unit), whether it is required, and an enum when the sample is the whole file and few
 * values repeat. `name` is the field name it will get (time-like names allow epoch numbers).
 */
export function guessColumn(
  column: SampledColumn,
  name: string,
  sample: { typed: boolean; wholeFile: boolean },
  settings: TypeGuessSettings = DEFAULT_TYPE_GUESS_SETTINGS,
): ColumnGuess {
  const present = column.values.filter((v) => v !== undefined && v !== null && v !== "");
  const notes: string[] = [];
  const tokens = NULL_TOKEN_CANDIDATES.filter((token) => present.includes(token));
  const rest = present.filter((v) => !tokens.includes(v as string));
  let { field, note } = sample.typed ? typedType(rest, name) : textType(rest as string[], name);
  let nullTokens: string[] = [];
  if (tokens.length > 0 && field.type !== "string" && rest.length > 0) {
    nullTokens = tokens;
    notes.push(
      `null tokens ${tokens.map((t) => JSON.stringify(t)).join(", ")}: the other values are ${field.type}`,
    );
  } else if (tokens.length > 0) {
    ({ field, note } = sample.typed ? typedType(present, name) : textType(present as string[], name));
  }
  const values = present.filter((v) => !nullTokens.includes(v as string));
  if (values.length === 0) {
    field = { type: sample.typed ? "json" : "string" };
    note = `${field.type}: no value in the sample to tell its type`;
  }
  notes.unshift(note);
  if (values.length === column.values.length && values.length > 0) {
    field.required = true;
    notes.push(`required: no empty value in ${values.length} sampled rows`);
  }
  const distinct = new Set(values.map(String));
  if (
    field.type === "string" &&
    distinct.size <= settings.maxEnumValues &&
    values.length >= distinct.size * settings.minValuesPerEnumValue &&
    distinct.size > 1
  ) {
    const list = [...distinct];
    if (sample.wholeFile) {
      field.enum = list;
      notes.push(`enum: ${list.length} distinct values in ${values.length} (the whole file)`);
    } else {
      notes.push(
        `enum candidate: ${list.join(", ")} (${list.length} distinct in ${values.length}; not set: the sample is not the whole file)`,
      );
    }
  }
  return { field, nullTokens, values, notes };
}
