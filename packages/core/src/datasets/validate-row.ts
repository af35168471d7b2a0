import type { DatasetContract, FieldSpec } from "./contract";

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
 * the column type (`42`, `12.50`, `true`, `2026-11-27`, `2026-11-27T10:00:00.000Z`), or `null`.
 * Text rather than JS numbers keeps 64-bit integers and decimals exact and staging fast.
 */
export type NormalizedRow = (string | null)[];

/** Validates and normalises one row given as raw values in contract field order. */
export type RowValidator = (values: ArrayLike<unknown>, line: number) => NormalizedRow | Rejection;

/** Longest raw value quoted back in a rejection. */
export const MAX_REJECTED_VALUE_LENGTH = 200;

/** True when a validator's result is a rejection. */
export function isRejection(result: NormalizedRow | Rejection): result is Rejection {
  return !Array.isArray(result);
}

// A field check returns the normalised value, or FAIL after setting `failure` to the reason.
// One shared sentinel instead of a result object per value keeps the hot loop allocation-free.
const FAIL = Symbol("fail");
type FieldCheck = (raw: unknown) => string | null | typeof FAIL;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Compiles a contract's fields into one row validator. Compile once per object, call per row:
 * this is the pipeline's hot loop, so each field becomes a closure specialised for its type
 * and constraints, with no regular expression on the common paths.
 */
export function compileRowValidator(contract: DatasetContract): RowValidator {
  let failure = "";
  const fail = (reason: string): typeof FAIL => {
    failure = reason;
    return FAIL;
  };
  const fields = contract.fields;
  const checks = fields.map((field) => compileField(field, fail));
  const names = fields.map((f) => f.name);
  const count = fields.length;

  return (values, line) => {
    const row: NormalizedRow = new Array(count);
    for (let i = 0; i < count; i++) {
      const raw = values[i];
      const result = checks[i]!(raw);
      if (result === FAIL) {
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
  const text = typeof raw === "string" ? raw : (JSON.stringify(raw) ?? String(raw));
  return text.length > MAX_REJECTED_VALUE_LENGTH ? `${text.slice(0, MAX_REJECTED_VALUE_LENGTH)}…` : text;
}

function compileField(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  const typed = compileType(field, fail);
  const required = field.required;
  return (raw) => {
    if (raw === undefined || raw === null || raw === "") {
      return required ? fail(raw === "" ? "required value is empty" : "required value is missing") : null;
    }
    return typed(raw);
  };
}

function compileType(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  switch (field.type) {
    case "string":
      return compileString(field, fail);
    case "integer":
      return compileInteger(field, fail);
    case "decimal":
      return compileDecimal(field, fail);
    case "boolean":
      return compileBoolean(fail);
    case "date":
      return compileDate(field, fail);
    case "timestamp":
      return compileTimestamp(fail);
  }
}

function compileString(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  const maxLength = field.maxLength;
  const allowed = field.enum ? new Set(field.enum) : undefined;
  const pattern = field.pattern !== undefined ? new RegExp(field.pattern, "u") : undefined;
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
    if (pattern !== undefined && !pattern.test(text)) return fail(`does not match pattern ${field.pattern}`);
    return text;
  };
}

function compileInteger(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  const { min, max } = field;
  const allowed = field.enum ? new Set(field.enum) : undefined;
  return (raw) => {
    let text: string;
    if (typeof raw === "number") {
      if (!Number.isInteger(raw)) return fail("not an integer");
      if (!Number.isSafeInteger(raw)) return fail("integer is not exactly representable in JSON; quote it");
      text = String(raw);
    } else if (typeof raw === "string") {
      text = raw.trim();
      let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
      if (i === text.length) return fail("not an integer");
      for (; i < text.length; i++) if (!isDigit(text.charCodeAt(i))) return fail("not an integer");
      if (text.charCodeAt(0) === 43) text = text.slice(1);
      // Canonical form: no leading zeros ("007" and "7" are the same key).
      if (
        text.length > 1 &&
        (text.charCodeAt(0) === 48 || (text.charCodeAt(0) === 45 && text.charCodeAt(1) === 48))
      ) {
        text = BigInt(text).toString();
      }
    } else {
      return fail("not an integer");
    }
    if (text.length >= 18) {
      const big = BigInt(text);
      if (big < INT64_MIN || big > INT64_MAX) return fail("integer out of 64-bit range");
      if (min !== undefined && big < BigInt(Math.ceil(min))) return fail(`less than minimum ${min}`);
      if (max !== undefined && big > BigInt(Math.floor(max))) return fail(`greater than maximum ${max}`);
    } else if (min !== undefined || max !== undefined) {
      const n = +text;
      if (min !== undefined && n < min) return fail(`less than minimum ${min}`);
      if (max !== undefined && n > max) return fail(`greater than maximum ${max}`);
    }
    if (allowed !== undefined && !allowed.has(text)) return fail(`not one of ${[...allowed].join(", ")}`);
    return text;
  };
}

function compileDecimal(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  const { min, max, scale } = field;
  return (raw) => {
    let text: string;
    if (typeof raw === "number") {
      if (!Number.isFinite(raw)) return fail("not a finite decimal");
      text = String(raw);
      if (text.includes("e")) return fail("decimal in exponent notation; quote it");
    } else if (typeof raw === "string") {
      text = raw.trim();
    } else {
      return fail("not a decimal");
    }
    let i = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
    let digits = 0;
    let point = -1;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) digits++;
      else if (c === 46 && point < 0) point = i;
      else return fail("not a decimal");
    }
    if (digits === 0) return fail("not a decimal");
    if (scale !== undefined && point >= 0 && text.length - point - 1 > scale)
      return fail(`more than ${scale} decimal places`);
    if (text.charCodeAt(0) === 43) text = text.slice(1);
    if (min !== undefined || max !== undefined) {
      const n = +text;
      if (min !== undefined && n < min) return fail(`less than minimum ${min}`);
      if (max !== undefined && n > max) return fail(`greater than maximum ${max}`);
    }
    return text;
  };
}

const TRUE_WORDS = new Set(["true", "t", "yes", "y", "1", "TRUE", "True", "T", "YES", "Yes", "Y"]);
const FALSE_WORDS = new Set(["false", "f", "no", "n", "0", "FALSE", "False", "F", "NO", "No", "N"]);

function compileBoolean(fail: (reason: string) => typeof FAIL): FieldCheck {
  return (raw) => {
    if (raw === true) return "true";
    if (raw === false) return "false";
    const text = typeof raw === "string" ? raw.trim() : typeof raw === "number" ? String(raw) : "";
    if (TRUE_WORDS.has(text)) return "true";
    if (FALSE_WORDS.has(text)) return "false";
    return fail("not a boolean (true/false, t/f, yes/no, y/n, 1/0)");
  };
}

/** True when `text` holds a real calendar date written `YYYY-MM-DD` at `offset`. */
function isIsoDate(text: string, offset: number): boolean {
  if (text.charCodeAt(offset + 4) !== 45 || text.charCodeAt(offset + 7) !== 45) return false;
  const year = digitsAt(text, offset, 4);
  const month = digitsAt(text, offset + 5, 2);
  const day = digitsAt(text, offset + 8, 2);
  // Written so that NaN (a non-digit) fails every comparison.
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1)) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!);
}

/** The decimal number of `length` digits at `offset`, or NaN when one is not a digit. */
function digitsAt(text: string, offset: number, length: number): number {
  let value = 0;
  for (let i = offset; i < offset + length; i++) {
    const code = text.charCodeAt(i);
    if (code < 48 || code > 57) return Number.NaN;
    value = value * 10 + (code - 48);
  }
  return value;
}

function compileDate(field: FieldSpec, fail: (reason: string) => typeof FAIL): FieldCheck {
  const pattern = field.pattern !== undefined ? new RegExp(field.pattern, "u") : undefined;
  return (raw) => {
    if (typeof raw !== "string") return fail("not a valid date (YYYY-MM-DD)");
    const text = raw.trim();
    if (text.length !== 10) return fail("not a valid date (YYYY-MM-DD)");
    if (!isIsoDate(text, 0)) return fail("not a valid date (YYYY-MM-DD)");
    if (pattern !== undefined && !pattern.test(text)) return fail(`does not match pattern ${field.pattern}`);
    return text;
  };
}

const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * The canonical form of `text` when it already is a UTC instant written `YYYY-MM-DDTHH:MM:SSZ`
 * or `YYYY-MM-DDTHH:MM:SS.fffZ`, or undefined for anything else (which takes the general path).
 * Exports write timestamps this way, and the general path costs a regular expression, a
 * Date.parse and a Date per value: on a timestamp per row that was most of validating it.
 */
function canonicalUtcTimestamp(text: string): string | undefined {
  const length = text.length;
  if (length !== 20 && length !== 24) return undefined;
  if (
    text.charCodeAt(length - 1) !== 90 || // Z
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    !isIsoDate(text, 0)
  ) {
    return undefined;
  }
  // NaN (a non-digit) fails these comparisons too.
  if (!(digitsAt(text, 11, 2) <= 23 && digitsAt(text, 14, 2) <= 59 && digitsAt(text, 17, 2) <= 59))
    return undefined;
  if (length === 20) return `${text.slice(0, 19)}.000Z`;
  return text.charCodeAt(19) === 46 && digitsAt(text, 20, 3) >= 0 ? text : undefined;
}

function compileTimestamp(fail: (reason: string) => typeof FAIL): FieldCheck {
  return (raw) => {
    if (typeof raw !== "string") return fail("not a timestamp (ISO 8601)");
    const canonical = canonicalUtcTimestamp(raw);
    if (canonical !== undefined) return canonical;
    const m = TIMESTAMP.exec(raw.trim());
    if (!m) return fail("not a timestamp (ISO 8601, e.g. 2026-11-27T10:00:00Z)");
    if (!isIsoDate(m[1]!, 0) || +m[2]! > 23 || +m[3]! > 59 || (m[4] !== undefined && +m[4] > 59)) {
      return fail("not a valid timestamp");
    }
    // No zone means UTC: staged values are absolute instants, whatever the loader's TimeZone.
    let zone = m[6] ?? "Z";
    if (zone !== "Z" && zone.length === 3) zone += ":00";
    else if (zone !== "Z" && zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    const fraction = m[5] ? m[5].slice(0, 4) : "";
    const ms = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? "00"}${fraction}${zone}`);
    if (Number.isNaN(ms)) return fail("not a valid timestamp");
    return new Date(ms).toISOString();
  };
}
