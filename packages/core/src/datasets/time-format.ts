/**
 * The pattern language of a date or timestamp field's `format`: how values that are not ISO 8601
 * are written. A pattern is strftime's letters as DuckDB's `strptime` reads them; anything that
 * is not a directive matches itself.
 *
 * | directive     | reads                                                                                 |
 * | ------------- | ------------------------------------------------------------------------------------- |
 * | `%Y`          | year, 1 to 4 digits (`2000`; the year 0000 is refused: Postgres has no year 0)        |
 * | `%y`          | year of the century, 1 or 2 digits: `00`-`68` are 2000-2068, `69`-`99` are 1969-1999  |
 * | `%m`          | month, 1-12, 1 or 2 digits (`1` or `01`)                                              |
 * | `%b` `%B`     | month name in English, any case: the full name or its first three letters (`Jan`)    |
 * | `%d`          | day of the month, 1-31, 1 or 2 digits                                                 |
 * | `%e`          | day of the month, as `%d`, after an optional space (` 1`)                             |
 * | `%j`          | day of the year, 1-366, 1 to 3 digits (instead of month and day)                      |
 * | `%a` `%A`     | weekday name in English, any case, full or first three letters; checked against the date |
 * | `%H`          | hour, 0-23, 1 or 2 digits                                                             |
 * | `%I` `%p`     | hour on a 12-hour clock, 1-12, and `AM`/`PM` (any case); each needs the other         |
 * | `%M` `%S`     | minutes and seconds, 0-59, 1 or 2 digits                                              |
 * | `%f`          | fraction of a second, 1 to 9 digits (`5` is half a second); microseconds kept, finer digits rounded half to even |
 * | `%T`          | `%H:%M:%S`                                                                            |
 * | `%z`          | UTC offset: `Z`, `+hh`, `+hhmm` or `+hh:mm` (or `-`)                                  |
 * | `%Z`          | time zone name: only `UTC`, `GMT` and `Z` (any case) are taken; other names are refused |
 * | `%%`          | a `%`                                                                                 |
 *
 * - Numeric directives read 1 to N digits, so `%d` takes `1` and `01`, and `%Y%m%d` takes `20150101`.
 *   `%-d` (and `-` before any numeric directive) is the same as `%d`, as in DuckDB.
 * - Whitespace around the value is ignored; a space in the pattern matches one or more spaces or tabs.
 * - Parts a pattern does not give default to the start: `%Y-%m` is the first of the month, a
 *   timestamp without a time is midnight, one without `%z`/`%Z` is UTC.
 * - Checked when the contract is read: a directive that does not exist, the same part given twice
 *   (`%d` twice, `%m` with `%b`, `%H` with `%I`), a date pattern with a time directive, `%I`
 *   without `%p`, no year, a day without a month, minutes without an hour, seconds without
 *   minutes, a fraction without seconds.
 * - Differences from DuckDB: `%f` is a fraction (DuckDB reads `%f` as a count of microseconds, so
 *   `5` would be 5 µs); `%b` also takes full names; `%a`/`%A` are checked against the date.
 *
 * Besides patterns, `format` may be `unix` (seconds since 1970-01-01T00:00:00Z) or `unix_ms`
 * (milliseconds), as integers or decimals, from text or JSON numbers (`epoch-format.ts`).
 *
 * The parsed value takes the same canonical text as ISO 8601 input: a date `YYYY-MM-DD`, a
 * timestamp the UTC instant `YYYY-MM-DDTHH:MM:SS.fffZ` (`…ffffffZ` below a millisecond).
 */
import { ContractError } from "../errors";
import { compileEpochFormat, EPOCH_FORMATS, type TimeFormatParser, type TimeKind } from "./epoch-format";
import { Op, type Step, stepsParser } from "./time-parser";

export { EPOCH_FORMATS, type TimeFormatParser, type TimeKind } from "./epoch-format";

/** The directive letters a pattern may use after `%` (anything else is not a directive). */
export const TIME_FORMAT_DIRECTIVES = "aAbBdefHIjmMpSTyYzZ%";

/**
 * Date patterns worth trying on text that is not ISO 8601, most likely first: US month/day before
 * day/month, and a 2-digit year (`%y`) before the 4-digit one, since `%Y` also reads `99` (as the
 * year 0099). `sluice contract infer` proposes the first that reads every sampled value.
 */
export const COMMON_DATE_FORMATS: readonly string[] = [
  "%b %d %Y",
  "%B %d, %Y",
  "%b %d, %Y",
  "%d %b %Y",
  "%d %B %Y",
  "%d-%b-%y",
  "%d-%b-%Y",
  "%Y/%m/%d",
  "%m/%d/%y",
  "%m/%d/%Y",
  "%d/%m/%y",
  "%d/%m/%Y",
  "%d.%m.%Y",
  "%m-%d-%Y",
  "%d-%m-%Y",
  "%Y%m%d",
  "%a, %d %b %Y",
  "%A, %B %d, %Y",
];

/** Timestamp patterns worth trying on text that is not ISO 8601, in the same order of preference. */
export const COMMON_TIMESTAMP_FORMATS: readonly string[] = [
  "%Y/%m/%d %H:%M:%S",
  "%Y/%m/%d %H:%M",
  "%m/%d/%y %H:%M",
  "%m/%d/%Y %H:%M:%S",
  "%m/%d/%Y %H:%M",
  "%m/%d/%Y %I:%M:%S %p",
  "%m/%d/%Y %I:%M %p",
  "%d/%m/%Y %H:%M:%S",
  "%d/%m/%Y %H:%M",
  "%d.%m.%Y %H:%M:%S",
  "%b %d %Y %H:%M:%S",
  "%d %b %Y %H:%M:%S",
  "%Y-%m-%d %H:%M:%S %z",
  "%Y-%m-%d %H:%M:%S %Z",
  "%Y-%m-%d %H:%M:%S.%f %Z",
  "%a, %d %b %Y %H:%M:%S %z",
  "%a %b %d %H:%M:%S %Y",
  "%d/%b/%Y:%H:%M:%S %z",
  "%Y%m%d%H%M%S",
  "%Y%m%dT%H%M%S",
];

/** Each directive: its step, the part of the value it gives, and its digits and range when numeric. */
const DIRECTIVES: Record<
  string,
  { op: Op; part: string; width?: number; min?: number; max?: number; expects: string }
> = {
  Y: { op: Op.Year, part: "year", width: 4, min: 0, max: 9999, expects: "a year" },
  y: { op: Op.Year2, part: "year", width: 2, min: 0, max: 99, expects: "a 2-digit year" },
  m: { op: Op.Month, part: "month", width: 2, min: 1, max: 12, expects: "a month (1-12)" },
  b: { op: Op.MonthName, part: "month", expects: "a month name (Jan-Dec)" },
  B: { op: Op.MonthName, part: "month", expects: "a month name (January-December)" },
  d: { op: Op.Day, part: "day", width: 2, min: 1, max: 31, expects: "a day of the month (1-31)" },
  e: { op: Op.DayAfterSpace, part: "day", width: 2, min: 1, max: 31, expects: "a day of the month (1-31)" },
  j: {
    op: Op.DayOfYear,
    part: "day of the year",
    width: 3,
    min: 1,
    max: 366,
    expects: "a day of the year (1-366)",
  },
  a: { op: Op.WeekdayName, part: "weekday", expects: "a weekday name (Mon-Sun)" },
  A: { op: Op.WeekdayName, part: "weekday", expects: "a weekday name (Monday-Sunday)" },
  H: { op: Op.Hour, part: "hour", width: 2, min: 0, max: 23, expects: "an hour (0-23)" },
  I: { op: Op.Hour12, part: "hour", width: 2, min: 1, max: 12, expects: "an hour (1-12)" },
  p: { op: Op.AmPm, part: "AM/PM", expects: "AM or PM" },
  M: { op: Op.Minute, part: "minute", width: 2, min: 0, max: 59, expects: "minutes (0-59)" },
  S: { op: Op.Second, part: "second", width: 2, min: 0, max: 59, expects: "seconds (0-59)" },
  f: {
    op: Op.Fraction,
    part: "fraction of a second",
    width: 9,
    min: 0,
    max: 999_999_999,
    expects: "a fraction of a second (digits)",
  },
  z: { op: Op.Offset, part: "time zone", expects: "a UTC offset (Z, +hh, +hhmm or +hh:mm)" },
  Z: { op: Op.ZoneName, part: "time zone", expects: "a time zone name (UTC, GMT or Z)" },
};

/** The parts of a value that are a time of day, which a date format cannot hold. */
const TIME_PARTS = new Set(["hour", "AM/PM", "minute", "second", "fraction of a second", "time zone"]);

/** Whitespace in a pattern, which matches a run of whitespace in the value. */
const PATTERN_SPACE = " \t\n\v\f\r";

/** A compiled pattern: its steps, the parts it gives (by directive), and what is wrong with it. */
interface CompiledPattern {
  steps: Step[];
  /** Part -> the directive that gives it, e.g. `month` -> `%b`. */
  parts: Map<string, string>;
  problems: string[];
}

function compilePattern(pattern: string, kind: TimeKind): CompiledPattern {
  const steps: Step[] = [];
  const parts = new Map<string, string>();
  const problems: string[] = [];
  const literal = (char: string) =>
    steps.push({
      op: Op.Literal,
      width: 0,
      min: 0,
      max: 0,
      code: char.charCodeAt(0),
      expects: JSON.stringify(char),
    });
  const directive = (letter: string, shown: string) => {
    const spec = DIRECTIVES[letter]!;
    const earlier = parts.get(spec.part);
    if (earlier !== undefined)
      problems.push(
        earlier === shown ? `${shown} appears twice` : `${earlier} and ${shown} both give the ${spec.part}`,
      );
    else parts.set(spec.part, shown);
    steps.push({
      op: spec.op,
      width: spec.width ?? 0,
      min: spec.min ?? 0,
      max: spec.max ?? 0,
      code: 0,
      expects: spec.expects,
    });
  };
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char !== "%") {
      if (!PATTERN_SPACE.includes(char)) literal(char);
      else if (steps.at(-1)?.op !== Op.Space)
        steps.push({ op: Op.Space, width: 0, min: 0, max: 0, code: 0, expects: "a space" });
      continue;
    }
    const dash = pattern[i + 1] === "-";
    const letter = pattern[i + (dash ? 2 : 1)];
    i += dash ? 2 : 1;
    const shown = `%${dash ? "-" : ""}${letter ?? ""}`;
    if (letter === undefined) problems.push(`ends with a lone ${shown}`);
    else if (letter === "%" && !dash) literal("%");
    else if (letter === "T" && !dash) {
      for (const [part, separator] of [
        ["H", ":"],
        ["M", ":"],
        ["S", ""],
      ] as const) {
        directive(part, "%T");
        if (separator) literal(separator);
      }
    } else if (DIRECTIVES[letter] === undefined || (dash && DIRECTIVES[letter].width === undefined))
      problems.push(
        `${shown} is not a directive (use ${[...TIME_FORMAT_DIRECTIVES].map((d) => `%${d}`).join(" ")}, or unix / unix_ms)`,
      );
    else directive(letter, shown);
  }
  problems.push(...structureProblems(parts, kind));
  return { steps, parts, problems };
}

/** What is missing or contradictory among the parts a pattern gives. */
function structureProblems(parts: Map<string, string>, kind: TimeKind): string[] {
  const problems: string[] = [];
  const has = (part: string) => parts.has(part);
  if (kind === "date") {
    const time = [...parts].filter(([part]) => TIME_PARTS.has(part)).map(([, shown]) => shown);
    if (time.length > 0)
      problems.push(
        `a date format cannot hold a time of day (${[...new Set(time)].join(" ")}); declare the field a timestamp`,
      );
  }
  if (!has("year")) problems.push("has no year (%Y or %y)");
  if (has("day of the year") && (has("month") || has("day")))
    problems.push(
      `${parts.get("day of the year")} (day of the year) cannot be combined with a month or a day`,
    );
  if (has("day") && !has("month"))
    problems.push(`has a day (${parts.get("day")}) but no month (%m, %b or %B)`);
  const hour = parts.get("hour");
  if (hour?.endsWith("I") && !has("AM/PM")) problems.push(`${hour} (12-hour clock) needs %p (AM/PM)`);
  if (has("AM/PM") && !hour?.endsWith("I")) problems.push("%p (AM/PM) needs %I (hour on a 12-hour clock)");
  if (has("minute") && hour === undefined)
    problems.push(`${parts.get("minute")} (minutes) needs an hour (%H or %I)`);
  if (has("second") && !has("minute")) problems.push(`${parts.get("second")} (seconds) needs minutes (%M)`);
  if (has("fraction of a second") && !has("second"))
    problems.push("%f (fraction of a second) needs seconds (%S)");
  return problems;
}

/**
 * What is wrong with `format` as the format of a `kind` field, one sentence each; empty when it
 * can be compiled. Checked when a contract is read.
 */
export function timeFormatProblems(format: string, kind: TimeKind): string[] {
  if ((EPOCH_FORMATS as readonly string[]).includes(format)) return [];
  return compilePattern(format, kind).problems;
}

/**
 * Compiles a date or timestamp `format` — a pattern of the language documented at the top of this
 * module, or `unix` / `unix_ms` — into a parser that returns a value's canonical text (`YYYY-MM-DD`
 * or the UTC instant), or undefined after telling `fail` why. Compile once, call per value; the
 * parser keeps no state between calls and allocates only its result. Throws a
 * {@link ContractError} listing every problem of an impossible format.
 */
export function compileTimeFormat(format: string, kind: TimeKind): TimeFormatParser {
  if ((EPOCH_FORMATS as readonly string[]).includes(format))
    return compileEpochFormat(format as (typeof EPOCH_FORMATS)[number], kind);
  const { steps, parts, problems } = compilePattern(format, kind);
  if (problems.length > 0)
    throw new ContractError(`format ${JSON.stringify(format)}: ${problems.join("; ")}`, { format, problems });
  return stepsParser(format, kind, steps, parts.has("day of the year"));
}
