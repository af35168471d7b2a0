import * as calendar from "./calendar";
import type { Fail } from "./field-check";

// Bound once: these run per value (see field-check.ts on calling through an import).
const { roundedFraction, instantText, dateObjectText, timeOfDayInDate, OUT_OF_RANGE } = calendar;
const MS_PER_DAY = calendar.MS_PER_DAY;

/** What a `format` reads a value as: a calendar date or an instant. */
export type TimeKind = "date" | "timestamp";

/**
 * A compiled `format`: the canonical text of `raw` (`YYYY-MM-DD`, or the UTC instant
 * `…SS.fffZ` / `…SS.ffffffZ`), or undefined after telling `fail` why it is refused.
 */
export type TimeFormatParser = (raw: unknown, fail?: Fail) => string | undefined;

/** The `format` values of date and timestamp fields that are not patterns: seconds or milliseconds since 1970. */
export const EPOCH_FORMATS = ["unix", "unix_ms"] as const;

/** Integer digits past which seconds or milliseconds since 1970 are beyond the year 9999 anyway. */
const MAX_INTEGER_DIGITS = 15;

/** The `fail` of a parser called without one: the reason is not wanted, only whether it parses. */
export function ignoreFailure(): undefined {
  return undefined;
}

/**
 * A parser of `unix` (seconds since 1970-01-01T00:00:00Z) or `unix_ms` (milliseconds): an
 * integer or a decimal, negative before 1970, as text, a JSON number or a bigint. Fractions keep
 * microseconds (digits past them round half to even). As a date, the instant must be a UTC midnight.
 */
export function compileEpochFormat(format: (typeof EPOCH_FORMATS)[number], kind: TimeKind): TimeFormatParser {
  const milliseconds = format === "unix_ms";
  // Fraction digits that make microseconds: 6 of a second, 3 of a millisecond.
  const keep = milliseconds ? 3 : 6;
  const malformed = `not a number of ${milliseconds ? "milliseconds" : "seconds"} since 1970-01-01 (${format})`;
  return (raw, fail = ignoreFailure) => {
    let text: string;
    if (typeof raw === "string") text = raw.trim();
    else if (typeof raw === "number") {
      if (!Number.isFinite(raw)) return fail(malformed);
      text = String(raw);
    } else if (typeof raw === "bigint") text = raw.toString();
    else if (raw instanceof Date) return dateObjectText(raw, kind, fail);
    else return fail(malformed);
    const negative = text.charCodeAt(0) === 45;
    const start = negative || text.charCodeAt(0) === 43 ? 1 : 0;
    let point = text.length;
    let digits = 0;
    for (let i = start; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 48 && code <= 57) digits++;
      else if (code === 46 && point === text.length) point = i;
      else return fail(malformed);
    }
    if (digits === 0) return fail(malformed);
    let first = start;
    while (first < point - 1 && text.charCodeAt(first) === 48) first++;
    if (point - first > MAX_INTEGER_DIGITS) return fail(OUT_OF_RANGE);
    const whole = point > start ? Number(text.slice(start, point)) : 0;
    const micros = point < text.length ? roundedFraction(text, point + 1, text.length, keep) : 0;
    // Whole milliseconds and the microseconds below them, kept apart: their sum in microseconds
    // would pass 2^53 and lose digits.
    let ms = (milliseconds ? whole : whole * 1000) + Math.floor(micros / 1000);
    let below = micros % 1000;
    if (negative) {
      ms = -ms - (below > 0 ? 1 : 0);
      below = below > 0 ? 1000 - below : 0;
    }
    const instant = instantText(ms, below);
    if (instant === undefined) return fail(OUT_OF_RANGE);
    if (kind === "timestamp") return instant;
    if (ms % MS_PER_DAY !== 0 || below !== 0) return fail(timeOfDayInDate(ms));
    return instant.slice(0, 10);
  };
}
