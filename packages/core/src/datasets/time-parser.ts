import * as calendar from "./calendar";
import { ignoreFailure, type TimeFormatParser, type TimeKind } from "./epoch-format";
import type { Fail } from "./field-check";

/**
 * The run-time half of the format patterns (`time-format.ts` compiles a pattern into
 * {@link Step}s and documents the language): reading one value by the steps.
 */

// Bound once: these run per value (see field-check.ts on calling through an import).
const {
  daysInMonth,
  daysFromCivil,
  dateText,
  roundedFraction,
  instantText,
  dateObjectText,
  YEAR_ZERO,
  OUT_OF_RANGE,
} = calendar;
const MS_PER_DAY = calendar.MS_PER_DAY;

/** What one step of a compiled pattern reads. */
export enum Op {
  Literal,
  Space,
  Year,
  Year2,
  Month,
  Day,
  DayAfterSpace,
  DayOfYear,
  Hour,
  Hour12,
  Minute,
  Second,
  Fraction,
  MonthName,
  WeekdayName,
  AmPm,
  Offset,
  ZoneName,
}

/** One step of a compiled pattern; `width` > 0 marks a numeric directive of 1 to `width` digits. */
export interface Step {
  op: Op;
  width: number;
  min: number;
  max: number;
  /** The character a literal step matches. */
  code: number;
  /** What the step expects, for the rejection reason. */
  expects: string;
}

const MONTH_NAMES = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];
const WEEKDAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];
const UTC_NAMES = new Set(["utc", "gmt", "z"]);

function isSpace(code: number): boolean {
  return code === 32 || (code >= 9 && code <= 13);
}

/**
 * The parser of a compiled pattern: `steps` in order, then the checks of the whole value (a real
 * calendar date, the weekday, the range). `dayOfYear` when the pattern reads `%j`.
 */
export function stepsParser(
  format: string,
  kind: TimeKind,
  steps: readonly Step[],
  dayOfYear: boolean,
): TimeFormatParser {
  const count = steps.length;
  const dateOnly = kind === "date";
  const label = `not a ${kind} in format ${JSON.stringify(format)}`;
  const miss = (fail: Fail, step: { expects: string }, pos: number) =>
    fail(`${label}: expected ${step.expects} at character ${pos + 1}`);
  const END = { expects: "the end of the value" };

  return (raw, fail = ignoreFailure) => {
    if (typeof raw !== "string") return raw instanceof Date ? dateObjectText(raw, kind, fail) : fail(label);
    let pos = 0;
    let end = raw.length;
    while (pos < end && isSpace(raw.charCodeAt(pos))) pos++;
    while (end > pos && isSpace(raw.charCodeAt(end - 1))) end--;
    let year = 0;
    let month = 1;
    let day = 1;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let micros = 0;
    let offset = 0;
    let weekday = -1;
    let pm = -1;
    for (let i = 0; i < count; i++) {
      const step = steps[i]!;
      const op = step.op;
      if (op === Op.Literal) {
        if (pos >= end || raw.charCodeAt(pos) !== step.code) return miss(fail, step, pos);
        pos++;
      } else if (op === Op.Space) {
        if (pos >= end || !isSpace(raw.charCodeAt(pos))) return miss(fail, step, pos);
        while (pos < end && isSpace(raw.charCodeAt(pos))) pos++;
      } else if (step.width > 0) {
        if (op === Op.DayAfterSpace && raw.charCodeAt(pos) === 32) pos++;
        const start = pos;
        const limit = Math.min(end, pos + step.width);
        let n = 0;
        for (
          let code = raw.charCodeAt(pos);
          pos < limit && code >= 48 && code <= 57;
          code = raw.charCodeAt(++pos)
        )
          n = n * 10 + (code - 48);
        if (pos === start || n < step.min || n > step.max) return miss(fail, step, start);
        if (op === Op.Year) year = n;
        else if (op === Op.Year2) year = n < 69 ? 2000 + n : 1900 + n;
        else if (op === Op.Month) month = n;
        else if (op === Op.Day || op === Op.DayAfterSpace || op === Op.DayOfYear) day = n;
        else if (op === Op.Hour || op === Op.Hour12) hour = n;
        else if (op === Op.Minute) minute = n;
        else if (op === Op.Second) second = n;
        else micros = roundedFraction(raw, start, pos, 6);
      } else if (op === Op.MonthName || op === Op.WeekdayName) {
        const found = nameAt(raw, pos, end, op === Op.MonthName ? MONTH_NAMES : WEEKDAY_NAMES);
        if (found < 0) return miss(fail, step, pos);
        if (op === Op.MonthName) month = (found >> 4) + 1;
        else weekday = found >> 4;
        pos += found & 15;
      } else if (op === Op.AmPm) {
        const first = raw.charCodeAt(pos) | 0x20;
        if (pos + 2 > end || (first !== 97 && first !== 112) || (raw.charCodeAt(pos + 1) | 0x20) !== 109)
          return miss(fail, step, pos);
        pm = first === 112 ? 1 : 0;
        pos += 2;
      } else if (op === Op.Offset) {
        const read = offsetAt(raw, pos, end);
        if (read < 0) return miss(fail, step, pos);
        offset = (read >> 4) - 2000;
        pos += read & 15;
      } else {
        const start = pos;
        while (pos < end && isZoneChar(raw.charCodeAt(pos))) pos++;
        if (pos === start) return miss(fail, step, start);
        const zone = raw.slice(start, pos);
        if (!UTC_NAMES.has(zone.toLowerCase()))
          return fail(
            `time zone ${zone} is not supported: only UTC, GMT or Z (write an offset and read it with %z)`,
          );
      }
    }
    if (pos !== end) return miss(fail, END, pos);
    if (year === 0) return fail(YEAR_ZERO);
    if (dayOfYear) {
      if (day > 365 && daysInMonth(year, 2) === 28) return fail(`${label}: ${year} has no day ${day}`);
      while (day > daysInMonth(year, month)) day -= daysInMonth(year, month++);
    } else if (day > daysInMonth(year, month)) {
      return fail(`${label}: ${dateText(year, month, day)} is not a calendar date`);
    }
    if (dateOnly && weekday < 0) return dateText(year, month, day);
    const days = daysFromCivil(year, month, day);
    if (weekday >= 0 && ((days % 7) + 11) % 7 !== weekday)
      return fail(`${label}: ${dateText(year, month, day)} is not a ${capitalised(WEEKDAY_NAMES[weekday]!)}`);
    if (dateOnly) return dateText(year, month, day);
    if (pm >= 0) hour = (hour % 12) + (pm === 1 ? 12 : 0);
    const ms = days * MS_PER_DAY + ((hour * 60 + minute - offset) * 60 + second) * 1000;
    return instantText(ms + Math.floor(micros / 1000), micros % 1000) ?? fail(OUT_OF_RANGE);
  };
}

/**
 * The name of `names` (lower-case full names) written at `pos`, any case, whole or as its first
 * three letters: its index × 16 + the length read, or -1.
 */
function nameAt(text: string, pos: number, end: number, names: readonly string[]): number {
  for (let n = 0; n < names.length; n++) {
    const name = names[n]!;
    let i = 0;
    while (i < name.length && pos + i < end && (text.charCodeAt(pos + i) | 0x20) === name.charCodeAt(i)) i++;
    if (i === name.length) return n * 16 + i;
    if (i >= 3) return n * 16 + 3;
  }
  return -1;
}

/**
 * The UTC offset written at `pos` (`Z`, `±hh`, `±hhmm`, `±hh:mm`): (minutes east + 2000) × 16 +
 * the length read, or -1.
 */
function offsetAt(text: string, pos: number, end: number): number {
  const sign = text.charCodeAt(pos);
  if (sign === 90 && pos < end) return 2000 * 16 + 1;
  if ((sign !== 43 && sign !== 45) || pos + 3 > end) return -1;
  const hours = twoDigitsAt(text, pos + 1);
  if (!(hours <= 23)) return -1;
  let length = 3;
  let minutes = 0;
  const colon = text.charCodeAt(pos + 3) === 58 ? 1 : 0;
  if (pos + 3 + colon + 2 <= end && twoDigitsAt(text, pos + 3 + colon) >= 0) {
    minutes = twoDigitsAt(text, pos + 3 + colon);
    if (minutes > 59) return -1;
    length += colon + 2;
  } else if (colon === 1) {
    return -1;
  }
  const east = (hours * 60 + minutes) * (sign === 45 ? -1 : 1);
  return (east + 2000) * 16 + length;
}

/** The two digits at `pos` as a number, or NaN. */
function twoDigitsAt(text: string, pos: number): number {
  const tens = text.charCodeAt(pos) - 48;
  const units = text.charCodeAt(pos + 1) - 48;
  return tens >= 0 && tens <= 9 && units >= 0 && units <= 9 ? tens * 10 + units : Number.NaN;
}

/** Letters, `/` and `_`: what a time zone name such as `UTC` or `Europe/Paris` is written with. */
function isZoneChar(code: number): boolean {
  const lower = code | 0x20;
  return (lower >= 97 && lower <= 122) || code === 47 || code === 95;
}

function capitalised(name: string): string {
  return name[0]!.toUpperCase() + name.slice(1);
}
