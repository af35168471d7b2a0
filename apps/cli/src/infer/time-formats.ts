/**
 * STAND-IN, to delete at the merge of issue 11: `@sluice/core` gets `compileTimeFormat`,
 * `COMMON_DATE_FORMATS` and `COMMON_TIMESTAMP_FORMATS` (core `datasets/time-format.ts`, the
 * documented pattern language of a field's `format`). This file has the same names and
 * signatures so `column-types.ts` only changes its import. It reads enough of the language to
 * recognise values (no `%j`, no weekday check, no canonical text beyond "read").
 */

/** Date patterns worth trying on text that is not ISO 8601, most likely first. */
export const COMMON_DATE_FORMATS: readonly string[] = [
  "%b %d %Y",
  "%B %d, %Y",
  "%b %d, %Y",
  "%d %b %Y",
  "%d %B %Y",
  "%d-%b-%Y",
  "%d-%b-%y",
  "%Y/%m/%d",
  "%m/%d/%Y",
  "%d/%m/%Y",
  "%m/%d/%y",
  "%d/%m/%y",
  "%d.%m.%Y",
  "%m-%d-%Y",
  "%d-%m-%Y",
  "%Y%m%d",
  "%a, %d %b %Y",
  "%A, %B %d, %Y",
];

/** Timestamp patterns worth trying on text that is not ISO 8601, most likely first. */
export const COMMON_TIMESTAMP_FORMATS: readonly string[] = [
  "%Y/%m/%d %H:%M:%S",
  "%Y/%m/%d %H:%M",
  "%m/%d/%Y %H:%M:%S",
  "%m/%d/%Y %H:%M",
  "%m/%d/%Y %I:%M:%S %p",
  "%m/%d/%Y %I:%M %p",
  "%d/%m/%Y %H:%M:%S",
  "%d/%m/%Y %H:%M",
  "%d.%m.%Y %H:%M:%S",
  "%b %d %Y %H:%M:%S",
  "%d %b %Y %H:%M:%S",
  "%Y-%m-%d %H:%M:%S %Z",
  "%Y-%m-%d %H:%M:%S.%f %Z",
  "%a, %d %b %Y %H:%M:%S %z",
  "%a %b %d %H:%M:%S %Y",
  "%d/%b/%Y:%H:%M:%S %z",
  "%Y%m%d%H%M%S",
  "%Y%m%dT%H%M%S",
];

/** Whether a value is a date (`YYYY-MM-DD`) or an instant. */
export type TimeKind = "date" | "timestamp";

/** Reads one value: its canonical text, or undefined when the pattern does not read it. */
export type TimeFormatParser = (raw: unknown) => string | undefined;

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const MONTH_NAMES =
  "(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)";
const WEEKDAY_NAMES = "(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*";

/** Each directive's regular expression and the part its first group gives. */
const DIRECTIVES: Record<string, [string, string?]> = {
  Y: ["(\\d{4})", "year"],
  y: ["(\\d{2})", "year2"],
  m: ["(\\d{1,2})", "month"],
  d: ["(\\d{1,2})", "day"],
  e: [" ?(\\d{1,2})", "day"],
  b: [MONTH_NAMES, "monthName"],
  B: [MONTH_NAMES, "monthName"],
  H: ["(\\d{1,2})", "hour"],
  I: ["(\\d{1,2})", "hour12"],
  M: ["(\\d{1,2})", "minute"],
  S: ["(\\d{1,2})", "second"],
  p: ["(am|pm)", "ampm"],
  f: ["(\\d{1,9})", "fraction"],
  T: ["(\\d{1,2}):(\\d{1,2}):(\\d{1,2})", "time"],
  z: ["(z|[+-]\\d{2}(?::?\\d{2})?)", "offset"],
  Z: ["(utc|gmt|z)", "zone"],
  a: [WEEKDAY_NAMES],
  A: [WEEKDAY_NAMES],
};

/** Compiles a pattern (or `unix` / `unix_ms`) into a parser of `kind` values. */
export function compileTimeFormat(format: string, kind: TimeKind): TimeFormatParser {
  if (format === "unix" || format === "unix_ms") {
    const scale = format === "unix" ? 1000 : 1;
    return (raw) => {
      const n = typeof raw === "number" ? raw : Number(raw);
      if (typeof raw === "string" && !/^-?\d+(\.\d+)?$/.test(raw.trim())) return undefined;
      if (!Number.isFinite(n)) return undefined;
      const text = new Date(n * scale).toISOString();
      return kind === "date" ? text.slice(0, 10) : text;
    };
  }
  const parts: string[] = [];
  let source = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c === "%" && i + 1 < format.length) {
      const letter = format[++i]!;
      if (letter === "%") source += "%";
      else if (DIRECTIVES[letter]) {
        const [regex, part] = DIRECTIVES[letter];
        source += regex;
        if (letter === "T") parts.push("hour", "minute", "second");
        else if (part) parts.push(part);
      } else return () => undefined;
    } else source += c === " " ? "[ \\t]+" : c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  const regex = new RegExp(`^\\s*${source}\\s*$`, "i");
  return (raw) => {
    const match = typeof raw === "string" ? regex.exec(raw) : null;
    if (!match) return undefined;
    const got: Record<string, string> = {};
    parts.forEach((part, i) => {
      got[part] = match[i + 1]!;
    });
    const year = got.year ? +got.year : got.year2 ? (+got.year2 < 69 ? 2000 : 1900) + +got.year2 : undefined;
    const month = got.month
      ? +got.month
      : got.monthName
        ? MONTHS.indexOf(got.monthName.slice(0, 3).toLowerCase()) + 1
        : 1;
    const day = got.day ? +got.day : 1;
    let hour = got.hour ? +got.hour : 0;
    if (got.hour12) hour = (+got.hour12 % 12) + (got.ampm?.toLowerCase() === "pm" ? 12 : 0);
    const [minute, second] = [got.minute ? +got.minute : 0, got.second ? +got.second : 0];
    if (year === undefined || year < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
    const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day)
      return undefined;
    const text = date.toISOString();
    return kind === "date" ? text.slice(0, 10) : text;
  };
}
