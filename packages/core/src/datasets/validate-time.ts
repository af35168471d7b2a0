import * as calendar from "./calendar";
import type { FieldSpec } from "./contract";
import type { Fail, FieldCheck } from "./field-check";
import { compileTimeFormat } from "./time-format";
import * as trim from "./trim";

// Bound once: these run per value (see field-check.ts on calling through an import).
const { daysInMonth, roundedFraction, instantText, dateObjectText, YEAR_ZERO, OUT_OF_RANGE } = calendar;
const { trimmed } = trim;

const INVALID_DATE = "not a valid date (YYYY-MM-DD)";

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

/**
 * The year of the calendar date written `YYYY-MM-DD` at `offset` of `text` (0 for the year
 * 0000, which Postgres refuses), or -1 when the text is not a real date there.
 */
function calendarDateYear(text: string, offset: number): number {
  if (text.charCodeAt(offset + 4) !== 45 || text.charCodeAt(offset + 7) !== 45) return -1;
  const year = digitsAt(text, offset, 4);
  const month = digitsAt(text, offset + 5, 2);
  const day = digitsAt(text, offset + 8, 2);
  // Written so that NaN (a non-digit) fails every comparison.
  if (!(year >= 0 && month >= 1 && month <= 12 && day >= 1)) return -1;
  return day <= daysInMonth(year, month) ? year : -1;
}

/**
 * A check of `date` fields: a real calendar date from 0001-01-01, written `YYYY-MM-DD` or in the
 * field's `format` (`time-format.ts`); a JS `Date` (from Parquet) must be a UTC midnight.
 */
export function compileDate(field: FieldSpec, fail: Fail): FieldCheck {
  const pattern = field.pattern !== undefined ? new RegExp(field.pattern, "u") : undefined;
  if (field.format !== undefined) {
    const parse = compileTimeFormat(field.format, "date");
    if (pattern === undefined) return (raw) => parse(raw, fail);
    return (raw) => {
      if (typeof raw === "string" && !pattern.test(raw.trim()))
        return fail(`does not match pattern ${field.pattern}`);
      return parse(raw, fail);
    };
  }
  return (raw) => {
    if (typeof raw !== "string")
      return raw instanceof Date ? dateObjectText(raw, "date", fail) : fail(INVALID_DATE);
    const text = trimmed(raw);
    if (text.length !== 10) return fail(INVALID_DATE);
    const year = calendarDateYear(text, 0);
    if (year < 1) return fail(year === 0 ? YEAR_ZERO : INVALID_DATE);
    if (pattern !== undefined && !pattern.test(text)) return fail(`does not match pattern ${field.pattern}`);
    return text;
  };
}

const TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * A UTC instant as exports write it: `YYYY-MM-DDTHH:MM:SS`, then `Z`, `.fffZ` or `.ffffffZ`, with
 * a year from 0001, a month, a day of at most 31 and a clock time that exist. One native match:
 * read character by character, the values papaparse hands over (slices of the chunk's text)
 * cost several times as much as a fresh string.
 */
const CANONICAL_UTC =
  /^(?!0000)\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{3}(?:\d{3})?)?Z$/;

/**
 * The canonical form of `text` when it already is a UTC instant written `YYYY-MM-DDTHH:MM:SSZ`,
 * `…SS.fffZ` or `…SS.ffffffZ` ({@link CANONICAL_UTC}), or undefined for anything else (which
 * takes the general path). Exports write timestamps this way, and the general path costs a
 * regular expression with captures, a Date.parse and a Date per value: on a timestamp per row
 * that was most of validating it.
 */
function canonicalUtcTimestamp(text: string): string | undefined {
  const length = text.length;
  if ((length !== 20 && length !== 24 && length !== 27) || !CANONICAL_UTC.test(text)) return undefined;
  // Only the 29th to the 31st can be past the end of their month.
  const dayTens = text.charCodeAt(8);
  if ((dayTens === 51 || (dayTens === 50 && text.charCodeAt(9) === 57)) && calendarDateYear(text, 0) < 1)
    return undefined;
  if (length === 20) return `${text.slice(0, 19)}.000Z`;
  if (length === 24 || digitsAt(text, 23, 3) > 0) return text;
  return `${text.slice(0, 23)}Z`;
}

/**
 * A check of `timestamp` fields: ISO 8601 (`T` or a space; seconds and a fraction of up to 9
 * digits optional; `Z`, `±HH`, `±HHMM` or `±HH:MM`; no zone means UTC), or the field's `format`
 * (`time-format.ts`), normalised to the UTC instant `YYYY-MM-DDTHH:MM:SS.fffZ`, or `…SS.ffffffZ`
 * when it is not a whole millisecond. Postgres keeps microseconds: a finer fraction is rounded to
 * the microsecond as Postgres would. A JS `Date` (from Parquet) is its instant.
 */
export function compileTimestamp(field: FieldSpec, fail: Fail): FieldCheck {
  if (field.format !== undefined) {
    const parse = compileTimeFormat(field.format, "timestamp");
    return (raw) => parse(raw, fail);
  }
  return (raw) => {
    if (typeof raw !== "string")
      return raw instanceof Date
        ? dateObjectText(raw, "timestamp", fail)
        : fail("not a timestamp (ISO 8601)");
    const canonical = canonicalUtcTimestamp(raw);
    if (canonical !== undefined) return canonical;
    const m = TIMESTAMP.exec(raw.trim());
    if (!m) return fail("not a timestamp (ISO 8601, e.g. 2026-11-27T10:00:00Z)");
    const year = calendarDateYear(m[1]!, 0);
    if (year === 0) return fail(YEAR_ZERO);
    if (year < 0 || +m[2]! > 23 || +m[3]! > 59 || (m[4] !== undefined && +m[4] > 59)) {
      return fail("not a valid timestamp");
    }
    // No zone means UTC: staged values are absolute instants, whatever the loader's TimeZone.
    let zone = m[6] ?? "Z";
    if (zone !== "Z" && zone.length === 3) zone += ":00";
    else if (zone !== "Z" && zone.length === 5) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
    // Whole seconds through Date, the fraction apart: a Date holds milliseconds only.
    const seconds = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4] ?? "00"}${zone}`);
    if (Number.isNaN(seconds)) return fail("not a valid timestamp");
    const fraction = m[5];
    const micros = fraction === undefined ? 0 : roundedFraction(fraction, 0, fraction.length, 6);
    return instantText(seconds + Math.floor(micros / 1000), micros % 1000) ?? fail(OUT_OF_RANGE);
  };
}
