import { compileTimeFormat, type TimeKind } from "@sluice/core";
import { useLoadFixture } from "../support/load-fixture";
import { targetKinds } from "../support/targets";

/**
 * The format patterns (core's time-format.ts) checked by an independent parser: Postgres's own
 * `to_timestamp(text, pattern)` / `to_date` and its interval arithmetic read the same generated
 * values, and both results are compared as Postgres prints them.
 */

const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** A deterministic pseudo-random sequence in [0, 1) (a linear congruential generator), so failures replay. */
function sequence(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** `count` instants between the years `from` and `to`, some with microseconds. */
function instants(seed: number, count: number, from: number, to: number): { ms: number; micros: number }[] {
  const next = sequence(seed);
  // setUTCFullYear: Date.UTC reads the years 0-99 as 1900-1999.
  const first = new Date(0).setUTCFullYear(from, 0, 1);
  const last = new Date(0).setUTCFullYear(to, 11, 31) + 86_399_000;
  return Array.from({ length: count }, () => ({
    ms: first + Math.floor((next() * (last - first)) / 1000) * 1000,
    micros: next() < 0.5 ? 0 : Math.floor(next() * 1_000_000),
  }));
}

interface FormatCase {
  format: string;
  kind: TimeKind;
  /** Postgres's reading of the same text: SQL over `$1` (the text) giving a date or timestamptz. */
  postgres: string;
  years: [number, number];
  /** Writes an instant (UTC parts of `Date`, plus microseconds) as the format does. */
  write(at: Date, micros: number): string;
}

const CASES: FormatCase[] = [
  {
    format: "%b %d %Y",
    kind: "date",
    postgres: "to_date(r, 'Mon DD YYYY')",
    years: [1, 9999],
    write: (at) =>
      `${MONTHS[at.getUTCMonth()]!.slice(0, 3)} ${at.getUTCDate()} ${pad(at.getUTCFullYear(), 4)}`,
  },
  {
    format: "%d.%m.%Y",
    kind: "date",
    postgres: "to_date(r, 'DD.MM.YYYY')",
    years: [1, 9999],
    write: (at) => `${pad(at.getUTCDate())}.${pad(at.getUTCMonth() + 1)}.${pad(at.getUTCFullYear(), 4)}`,
  },
  {
    format: "%Y-%j",
    kind: "date",
    postgres: "to_date(r, 'YYYY-DDD')",
    years: [1900, 2100],
    write: (at) =>
      `${at.getUTCFullYear()}-${pad(Math.floor((at.getTime() - Date.UTC(at.getUTCFullYear(), 0, 1)) / 86_400_000) + 1, 3)}`,
  },
  {
    format: "%Y/%m/%d %H:%M:%S",
    kind: "timestamp",
    postgres: "to_timestamp(r, 'YYYY/MM/DD HH24:MI:SS')",
    years: [1, 9999],
    write: (at) =>
      `${pad(at.getUTCFullYear(), 4)}/${pad(at.getUTCMonth() + 1)}/${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}`,
  },
  {
    format: "%m/%d/%y %I:%M %p",
    kind: "timestamp",
    postgres: "to_timestamp(r, 'MM/DD/YY HH12:MI AM')",
    // Postgres reads a 2-digit year 69 as 2069, POSIX (and Sluice) as 1969: the years both agree on.
    years: [1970, 2068],
    write: (at) =>
      `${at.getUTCMonth() + 1}/${at.getUTCDate()}/${pad(at.getUTCFullYear() % 100)} ${((at.getUTCHours() + 11) % 12) + 1}:${pad(at.getUTCMinutes())} ${at.getUTCHours() < 12 ? "AM" : "PM"}`,
  },
  {
    format: "%A, %d %B %Y %H:%M:%S.%f %z",
    kind: "timestamp",
    postgres: "to_timestamp(r, 'FMDay, DD FMMonth YYYY HH24:MI:SS.US TZH:TZM')",
    years: [1800, 2200],
    write: (at, micros) => {
      const offset = (Math.abs(at.getTime() / 1000) % 27) - 13;
      const local = new Date(at.getTime() + offset * 3_600_000);
      return `${WEEKDAYS[local.getUTCDay()]}, ${pad(local.getUTCDate())} ${MONTHS[local.getUTCMonth()]} ${local.getUTCFullYear()} ${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}.${pad(micros, 6)} ${offset < 0 ? "-" : "+"}${pad(Math.abs(offset))}:00`;
    },
  },
  {
    format: "unix",
    kind: "timestamp",
    postgres: "'epoch'::timestamptz + (r || ' seconds')::interval",
    years: [1, 9999],
    write: (at, micros) => `${at.getTime() / 1000}.${pad(Math.floor(micros / 1000), 3)}`,
  },
  {
    format: "unix_ms",
    kind: "timestamp",
    postgres: "'epoch'::timestamptz + (r || ' milliseconds')::interval",
    years: [1, 9999],
    write: (at, micros) =>
      `${at.getTime() + Math.floor(micros / 1000)}${micros % 1000 ? `.${pad(micros % 1000, 3)}` : ""}`,
  },
];

describe.each(targetKinds("time_formats"))("format patterns against $name's own parsing", (kind) => {
  const fx = useLoadFixture(kind);

  test.each(CASES)("$format ($kind): 300 generated values read as Postgres reads them", async (c) => {
    const written = instants(c.format.length * 7919, 300, ...c.years).map(({ ms, micros }) =>
      c.write(new Date(ms), micros),
    );
    const parse = compileTimeFormat(c.format, c.kind);
    const ours = written.map((text) => parse(text) ?? `refused: ${text}`);
    expect(ours.filter((text) => text.startsWith("refused"))).toEqual([]);

    const result = await fx.target.transaction(async (session) => {
      await session.query("SET LOCAL TimeZone = 'UTC'");
      await session.query("SET LOCAL DateStyle = 'ISO, YMD'");
      return session.query<{ theirs: string; ours: string }>(
        `SELECT (${c.postgres})::text AS theirs, o::${c.kind === "date" ? "date" : "timestamptz"}::text AS ours
           FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(r, o, n) ORDER BY n`,
        [written, ours],
      );
    });

    expect(result.rows.map((row) => row.ours)).toEqual(result.rows.map((row) => row.theirs));
  });
});
