import type { FieldSpec } from "./contract";
import type { Fail, FieldCheck } from "./field-check";
import * as trim from "./trim";

// Bound once: it runs per value (see field-check.ts on calling through an import).
const { trimmed } = trim;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

/**
 * Most digits read one by one into a double that is still exact (10^15 < 2^53): min and max are
 * then checked on that value instead of converting the text again, a visible share of validating
 * a numeric column.
 */
const EXACT_DIGITS = 15;
/** 10^0 .. 10^EXACT_DIGITS, each exact as a double. */
const POWERS_OF_TEN = Array.from({ length: EXACT_DIGITS + 1 }, (_, i) => Number(`1e${i}`));

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The check of an `integer` field: 64-bit, canonical text (no sign `+`, no leading zeros), min/max/enum. */
export function compileInteger(field: FieldSpec, fail: Fail): FieldCheck {
  const { min, max } = field;
  const allowed = field.enum ? new Set(field.enum) : undefined;
  return (raw) => {
    let text: string;
    /** The value when it was read digit by digit, exactly; else NaN and `+text` reads it. */
    let read = Number.NaN;
    if (typeof raw === "number") {
      if (!Number.isInteger(raw)) return fail("not an integer");
      if (!Number.isSafeInteger(raw)) return fail("integer is not exactly representable in JSON; quote it");
      text = String(raw);
    } else if (typeof raw === "string") {
      text = trimmed(raw);
      const sign = text.charCodeAt(0) === 45 ? -1 : 1;
      let i = sign < 0 || text.charCodeAt(0) === 43 ? 1 : 0;
      if (i === text.length) return fail("not an integer");
      let value = 0;
      for (; i < text.length; i++) {
        const c = text.charCodeAt(i);
        if (!isDigit(c)) return fail("not an integer");
        value = value * 10 + (c - 48);
      }
      if (text.length <= EXACT_DIGITS) read = sign * value;
      if (text.charCodeAt(0) === 43) text = text.slice(1);
      // Canonical form: no leading zeros ("007" and "7" are the same key).
      if (
        text.length > 1 &&
        (text.charCodeAt(0) === 48 || (text.charCodeAt(0) === 45 && text.charCodeAt(1) === 48))
      ) {
        text = BigInt(text).toString();
      }
    } else if (typeof raw === "bigint") {
      text = raw.toString();
    } else {
      return fail("not an integer");
    }
    if (text.length >= 18) {
      const big = BigInt(text);
      if (big < INT64_MIN || big > INT64_MAX) return fail("integer out of 64-bit range");
      if (min !== undefined && big < BigInt(Math.ceil(min))) return fail(`less than minimum ${min}`);
      if (max !== undefined && big > BigInt(Math.floor(max))) return fail(`greater than maximum ${max}`);
    } else if (min !== undefined || max !== undefined) {
      const n = Number.isNaN(read) ? +text : read;
      if (min !== undefined && n < min) return fail(`less than minimum ${min}`);
      if (max !== undefined && n > max) return fail(`greater than maximum ${max}`);
    }
    if (allowed !== undefined && !allowed.has(text)) return fail(`not one of ${[...allowed].join(", ")}`);
    return text;
  };
}

/** Postgres `numeric`'s own limits when the contract gives no precision or scale. */
const NUMERIC_MAX_DIGITS_BEFORE_POINT = 131_072;
const NUMERIC_MAX_DIGITS_AFTER_POINT = 16_383;

/** Digits of `text[start, end)` once leading zeros are dropped (they do not count toward a precision). */
function significantDigits(text: string, start: number, end: number): number {
  while (start < end && text.charCodeAt(start) === 48) start++;
  return end - start;
}

/** The check of a `decimal` field: digits and one point, Postgres numeric's precision and scale, min/max. */
export function compileDecimal(field: FieldSpec, fail: Fail): FieldCheck {
  const { min, max, precision } = field;
  // numeric(p) is numeric(p, 0): with a precision and no scale, the column holds whole numbers.
  const scale = field.scale ?? (precision !== undefined ? 0 : undefined);
  const maxAfter = scale ?? NUMERIC_MAX_DIGITS_AFTER_POINT;
  const tooManyAfter =
    scale !== undefined
      ? `more than ${scale} decimal places`
      : `more than ${maxAfter} digits after the decimal point (Postgres numeric's limit)`;
  const maxBefore = precision !== undefined ? precision - (scale ?? 0) : NUMERIC_MAX_DIGITS_BEFORE_POINT;
  const tooManyBefore =
    precision !== undefined
      ? `more than ${maxBefore} digits before the decimal point (numeric(${precision},${scale}))`
      : `more than ${maxBefore} digits before the decimal point (Postgres numeric's limit)`;
  return (raw) => {
    let text: string;
    if (typeof raw === "number") {
      if (!Number.isFinite(raw)) return fail("not a finite decimal");
      text = String(raw);
      if (text.includes("e")) return fail("decimal in exponent notation; quote it");
    } else if (typeof raw === "string") {
      text = trimmed(raw);
    } else if (typeof raw === "bigint") {
      text = raw.toString();
    } else {
      return fail("not a decimal");
    }
    // Only digits, one point and a sign: "NaN" and "Infinity", which numeric takes, are refused.
    const start = text.charCodeAt(0) === 45 || text.charCodeAt(0) === 43 ? 1 : 0;
    let digits = 0;
    let point = -1;
    let mantissa = 0;
    for (let i = start; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (isDigit(c)) {
        digits++;
        mantissa = mantissa * 10 + (c - 48);
      } else if (c === 46 && point < 0) point = i;
      else return fail("not a decimal");
    }
    if (digits === 0) return fail("not a decimal");
    if (point >= 0 && text.length - point - 1 > maxAfter) return fail(tooManyAfter);
    const end = point >= 0 ? point : text.length;
    if (end - start > maxBefore && significantDigits(text, start, end) > maxBefore)
      return fail(tooManyBefore);
    if (start === 1 && text.charCodeAt(0) === 43) text = text.slice(1);
    if (min !== undefined || max !== undefined) {
      // Up to EXACT_DIGITS digits, mantissa and the power of ten are exact, so one division
      // rounds as `+text` does (the fast path of decimal-to-double conversion), at a fraction of its cost.
      const n =
        digits <= EXACT_DIGITS
          ? (text.charCodeAt(0) === 45 ? -mantissa : mantissa) /
            POWERS_OF_TEN[point >= 0 ? text.length - point - 1 : 0]!
          : +text;
      if (min !== undefined && n < min) return fail(`less than minimum ${min}`);
      if (max !== undefined && n > max) return fail(`greater than maximum ${max}`);
    }
    return text;
  };
}
