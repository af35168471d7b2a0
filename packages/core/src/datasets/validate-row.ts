/// <reference lib="es2024.string" />
import type { DatasetContract, FieldSpec } from "./contract";
import type { Fail, FieldCheck } from "./field-check";
import { DEFAULT_FALSE_VALUES, DEFAULT_TRUE_VALUES } from "./fields";
import * as trim from "./trim";
import { compileJson, DEFAULT_MAX_JSON_DEPTH } from "./validate-json";
import { compileDecimal, compileInteger } from "./validate-number";
import { compileDate, compileTimestamp } from "./validate-time";

export { DEFAULT_MAX_JSON_DEPTH } from "./validate-json";

/** Why one row was rejected: where (line), what (field), why (reason) and the raw value. */
export interface Rejection {
  /** 1-based line (CSV/fixed-width: physical line where the record starts; NDJSON: line). */
  line: number;
  /** The contract field at fault, or `(row)` when the row as a whole is wrong. */
  field: string;
  reason: string;
  /** The raw value, truncated to {@link MAX_REJECTED_VALUE_LENGTH} characters. */
  value?: string;
}

/**
 * A validated row in contract field order. Each value is the canonical text Postgres reads for
 * the column type (`42`, `12.50`, `true`, `2026-11-27`, `2026-11-27T10:00:00.000Z`, or
 * `2026-11-27T10:00:00.000250Z` for an instant that is not a whole millisecond), or `null`.
 * Text rather than JS numbers keeps 64-bit integers, decimals and microseconds exact and staging
 * fast. Every value is one Postgres stores as it is: no NUL or lone surrogate in text, no year 0,
 * no decimal beyond the column's precision.
 */
export type NormalizedRow = (string | null)[];

/** Validates and normalises one row given as raw values in contract field order. */
export type RowValidator = (values: ArrayLike<unknown>, line: number) => NormalizedRow | Rejection;

/** Tuning of a row validator. */
export interface RowValidatorOptions {
  /** How deep a `json` field's value may nest; default {@link DEFAULT_MAX_JSON_DEPTH}. */
  maxJsonDepth?: number;
}

/** Longest raw value quoted back in a rejection. */
export const MAX_REJECTED_VALUE_LENGTH = 200;

/** True when a validator's result is a rejection. */
export function isRejection(result: NormalizedRow | Rejection): result is Rejection {
  return !Array.isArray(result);
}

// Bound once: it runs per value (see field-check.ts on calling through an import).
const { trimmed } = trim;

/**
 * Compiles a contract's fields into one row validator. Compile once per object, call per row:
 * this is the pipeline's hot loop, so each field becomes a closure specialised for its type,
 * constraints and value options (`trim`, `nullValues`, `format`, boolean words), with no
 * regular expression on the common paths. Raw values are text (CSV, fixed-width) or JSON values
 * (NDJSON, JSON, Parquet: numbers, booleans, null, objects, arrays; `bigint` for integers and
 * decimals, `Date` for dates and timestamps).
 */
export function compileRowValidator(
  contract: DatasetContract,
  options: RowValidatorOptions = {},
): RowValidator {
  let failure = "";
  const fail: Fail = (reason) => {
    failure = reason;
    return undefined;
  };
  const fields = contract.fields;
  const checks = fields.map((field) => compileField(field, contract, options, fail));
  const names = fields.map((f) => f.name);
  const count = fields.length;

  return (values, line) => {
    const row: NormalizedRow = new Array(count);
    for (let i = 0; i < count; i++) {
      const raw = values[i];
      const result = checks[i]!(raw);
      if (result === undefined) {
        const rejection: Rejection = { line, field: names[i]!, reason: failure };
        if (raw !== undefined && raw !== null) rejection.value = describeValue(raw);
        return rejection;
      }
      row[i] = result;
    }
    return row;
  };
}

function describeValue(raw: unknown): string {
  let text: string;
  try {
    text = typeof raw === "string" ? raw : (JSON.stringify(raw) ?? String(raw));
  } catch {
    // A bigint, or a value too deep or cyclic to write: still quote something.
    text = String(raw);
  }
  return text.length > MAX_REJECTED_VALUE_LENGTH ? `${text.slice(0, MAX_REJECTED_VALUE_LENGTH)}…` : text;
}

/**
 * A field's check: `trim` (if on), then the null tokens (a value equal to one of the field's
 * `nullValues`, else the contract's, is NULL), then its type. Values that are not text (JSON
 * numbers, booleans, objects) skip both; JSON null and a missing value are NULL.
 */
function compileField(
  field: FieldSpec,
  contract: DatasetContract,
  options: RowValidatorOptions,
  fail: Fail,
): FieldCheck {
  const typed = compileType(field, contract, options, fail);
  const required = field.required;
  const nullValues = field.nullValues ?? contract.nullValues;
  const trim = field.trim ?? contract.trim;
  if (!trim && nullValues.length === 1 && nullValues[0] === "") {
    // The defaults: the path of every contract that does not use these options, kept as it was.
    return (raw) => {
      if (raw === undefined || raw === null || raw === "") {
        return required ? fail(raw === "" ? "required value is empty" : "required value is missing") : null;
      }
      return typed(raw);
    };
  }
  const nullTokens = new Set(nullValues);
  return (raw) => {
    if (raw === undefined || raw === null) return required ? fail("required value is missing") : null;
    if (typeof raw === "string") {
      const text = trim ? raw.trim() : raw;
      if (nullTokens.has(text)) {
        if (!required) return null;
        return fail(
          text === ""
            ? "required value is empty"
            : `required value is the null token ${JSON.stringify(text)}`,
        );
      }
      return typed(text);
    }
    return typed(raw);
  };
}

function compileType(
  field: FieldSpec,
  contract: DatasetContract,
  options: RowValidatorOptions,
  fail: Fail,
): FieldCheck {
  switch (field.type) {
    case "string":
      return compileString(field, fail);
    case "integer":
      return compileInteger(field, fail);
    case "decimal":
      return compileDecimal(field, fail);
    case "boolean":
      return compileBoolean(field, fail);
    case "date":
      return compileDate(field, fail);
    case "timestamp":
      return compileTimestamp(field, fail);
    case "json": {
      // Only text read from a CSV or fixed-width column is JSON text; a JSON source's string is a string.
      const textFormats = contract.format.type === "csv" || contract.format.type === "fixed-width";
      return compileJson(fail, textFormats, options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH);
    }
  }
}

/** Why Postgres `text` could not hold `text` as it is, or undefined when it can. */
function textProblem(text: string): string | undefined {
  // Two native scans: measured several times cheaper than one loop over the characters in JS.
  if (text.indexOf("\0") !== -1) return "contains a NUL character, which Postgres text cannot hold";
  if (!text.isWellFormed())
    return "contains a lone UTF-16 surrogate (half a character), which UTF-8 cannot encode";
  return undefined;
}

function compileString(field: FieldSpec, fail: Fail): FieldCheck {
  const maxLength = field.maxLength;
  const allowed = field.enum ? new Set(field.enum) : undefined;
  const pattern = field.pattern !== undefined ? new RegExp(field.pattern, "u") : undefined;
  // A value equal to one of the contract's own clean enum values needs no scan.
  const storableEnum = field.enum?.every((value) => textProblem(value) === undefined) ?? false;
  return (raw) => {
    if (typeof raw !== "string") {
      if (typeof raw === "object")
        return fail(`expected a string, got ${Array.isArray(raw) ? "an array" : "an object"}`);
      raw = String(raw);
    }
    const text = raw as string;
    if (maxLength !== undefined && text.length > maxLength)
      return fail(`longer than ${maxLength} characters`);
    if (allowed !== undefined && !allowed.has(text)) return fail(`not one of ${[...allowed].join(", ")}`);
    if (!storableEnum) {
      const problem = textProblem(text);
      if (problem !== undefined) return fail(problem);
    }
    if (pattern !== undefined && !pattern.test(text)) return fail(`does not match pattern ${field.pattern}`);
    return text;
  };
}

const TRUE_WORDS = new Set(DEFAULT_TRUE_VALUES);
const FALSE_WORDS = new Set(DEFAULT_FALSE_VALUES);

/**
 * A check of `boolean` fields: JSON true/false, or text (whitespace around it ignored) equal to
 * one of the field's `trueValues`/`falseValues` — by default {@link DEFAULT_TRUE_VALUES} and
 * {@link DEFAULT_FALSE_VALUES}. A JSON number is compared as its text (`1`, `0`).
 */
function compileBoolean(field: FieldSpec, fail: Fail): FieldCheck {
  const trueWords = field.trueValues !== undefined ? new Set(field.trueValues) : TRUE_WORDS;
  const falseWords = field.falseValues !== undefined ? new Set(field.falseValues) : FALSE_WORDS;
  const reason =
    trueWords === TRUE_WORDS && falseWords === FALSE_WORDS
      ? "not a boolean (true/false, t/f, yes/no, y/n, 1/0)"
      : `not a boolean (true: ${[...trueWords].join(", ")}; false: ${[...falseWords].join(", ")})`;
  return (raw) => {
    if (raw === true) return "true";
    if (raw === false) return "false";
    const text = typeof raw === "string" ? trimmed(raw) : typeof raw === "number" ? String(raw) : "";
    if (trueWords.has(text)) return "true";
    if (falseWords.has(text)) return "false";
    return fail(reason);
  };
}
