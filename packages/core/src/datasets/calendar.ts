import type { Fail } from "./field-check";

/**
 * Calendar arithmetic and the canonical text of dates and instants, shared by the ISO 8601 checks
 * (`validate-time.ts`) and the format patterns (`time-format.ts`). Both call these per value, so
 * each binds them to module constants once (see `field-check.ts` for why imports are not called
 * through on a per-value path).
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in `month` (1-12) of `year` in the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2 && ((year % 4 === 0 && year % 100 !== 0) || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** Days from 1970-01-01 to the Gregorian date `year-month-day` (negative before it). */
export function daysFromCivil(year: number, month: number, day: number): number {
  // Howard Hinnant's days_from_civil: years start in March, so the leap day ends a year.
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/**
 * The digits `text[start, end)` (all decimal digits) as a fraction rounded to `keep` digits: an
 * integer from 0 to 10^keep inclusive (10^keep when rounding carries into the next unit). Digits
 * past `keep` round to the nearest, an exact half to even, as Postgres rounds timestamp input.
 */
export function roundedFraction(text: string, start: number, end: number, keep: number): number {
  let kept = 0;
  for (let i = 0; i < keep; i++) kept = kept * 10 + (start + i < end ? text.charCodeAt(start + i) - 48 : 0);
  if (end - start <= keep) return kept;
  const next = text.charCodeAt(start + keep) - 48;
  let beyondHalf = next > 5;
  for (let i = start + keep + 1; !beyondHalf && next === 5 && i < end; i++)
    beyondHalf = text.charCodeAt(i) !== 48;
  return beyondHalf || (next === 5 && kept % 2 === 1) ? kept + 1 : kept;
}

/** Why the year 0000 is refused. */
export const YEAR_ZERO = "year 0000 does not exist (the year before 0001 is 1 BC); Postgres refuses it";
/** Why an instant outside the staged range is refused. */
export const OUT_OF_RANGE =
  "outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999Z once converted to UTC";

/**
 * The instants a staged timestamp can hold. Postgres's own range is wider (4713 BC to 294276 AD),
 * but the canonical text is `YYYY-…Z`: a 4-digit year from 0001, which is what an offset can push
 * a written date past.
 */
const FIRST_INSTANT_MS = Date.parse("0001-01-01T00:00:00Z");
const LAST_INSTANT_MS = Date.parse("9999-12-31T23:59:59.999Z");
/** Milliseconds in a day: an instant is a date when it is a multiple of this. */
export const MS_PER_DAY = 86_400_000;

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, "0"));

/** `YYYY-MM-DD` of a real date from 0001-01-01 to 9999-12-31. */
export function dateText(year: number, month: number, day: number): string {
  return `${year >= 1000 ? String(year) : String(year).padStart(4, "0")}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}`;
}

/**
 * The canonical text of the instant `ms` milliseconds plus `belowMs` microseconds (0-999) after
 * 1970-01-01T00:00:00Z: `…SS.fffZ`, or `…SS.ffffffZ` when it is not a whole millisecond; undefined
 * outside the staged range. The text `Date.prototype.toISOString` writes, built from tables: a
 * Date and its formatting cost about a microsecond, most of a formatted timestamp's parse.
 */
export function instantText(ms: number, belowMs: number): string | undefined {
  if (!(ms >= FIRST_INSTANT_MS && ms <= LAST_INSTANT_MS)) return undefined;
  const days = Math.floor(ms / MS_PER_DAY);
  let rest = ms - days * MS_PER_DAY;
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const seconds = rest % 60;
  rest = (rest - seconds) / 60;
  const minutes = rest % 60;
  const hours = (rest - minutes) / 60;
  const date = civilDateText(days);
  const time = `T${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[millis]}`;
  return belowMs === 0 ? `${date}${time}Z` : `${date}${time}${THREE_DIGITS[belowMs]}Z`;
}

/** `YYYY-MM-DD` of the day `days` after 1970-01-01 (Howard Hinnant's civil_from_days). */
function civilDateText(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1;
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return dateText(year, month, day);
}

/** The canonical `YYYY-MM-DD` of the UTC day starting at `ms`; undefined outside the staged range. */
export function dayText(ms: number): string | undefined {
  return instantText(ms, 0)?.slice(0, 10);
}

/**
 * A JS `Date` (as Parquet readers hand over timestamps) as a date (its UTC day, which must start at
 * the instant: a date has no time of day) or as a timestamp instant.
 */
export function dateObjectText(value: Date, kind: "date" | "timestamp", fail: Fail): string | undefined {
  const ms = value.getTime();
  if (Number.isNaN(ms)) return fail("an invalid Date");
  if (kind === "timestamp") return instantText(ms, 0) ?? fail(OUT_OF_RANGE);
  if (ms % MS_PER_DAY !== 0) return fail(timeOfDayInDate(ms));
  return dayText(ms) ?? fail(OUT_OF_RANGE);
}

/** Why an instant that is not a UTC midnight is refused as a date. */
export function timeOfDayInDate(ms: number): string {
  const text = instantText(ms, 0) ?? String(ms);
  return `has a time of day (${text}); a date field takes a UTC midnight only (declare a timestamp)`;
}
