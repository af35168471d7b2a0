import {
  COMMON_DATE_FORMATS,
  COMMON_TIMESTAMP_FORMATS,
  ContractError,
  compileTimeFormat,
  type TimeKind,
  timeFormatProblems,
} from "../../src";

/** What `format` makes of `raw` as a `kind`: the canonical text, or `refused: <reason>`. */
function read(format: string, kind: TimeKind, raw: unknown): string {
  let reason = "";
  const text = compileTimeFormat(format, kind)(raw, (why) => {
    reason = why;
    return undefined;
  });
  return text ?? `refused: ${reason}`;
}

describe("date patterns", () => {
  it.each([
    ["%b %d %Y", "Jan 1 2000", "2000-01-01"], // vega-datasets stocks.csv, sp500.csv
    ["%b %d %Y", "Jun 12 1998", "1998-06-12"], // movies.json "Release Date"
    ["%b %d %Y", "DEC 31 1999", "1999-12-31"],
    ["%b %d %Y", "  mar 01 2004 ", "2004-03-01"],
    ["%B %d, %Y", "September 3, 2001", "2001-09-03"],
    ["%b %d %Y", "March 3 2001", "2001-03-03"],
    ["%d/%m/%Y", "29/02/2024", "2024-02-29"],
    ["%m/%d/%Y", "2/9/2024", "2024-02-09"],
    ["%Y%m%d", "20150101", "2015-01-01"],
    ["%d.%m.%Y", "1.1.0001", "0001-01-01"],
    ["%-d/%-m/%Y", "3/4/2020", "2020-04-03"],
    ["%e-%b-%y", " 7-Jul-05", "2005-07-07"],
    ["%Y-%m", "2006-01", "2006-01-01"],
    ["%Y-%j", "2024-060", "2024-02-29"],
    ["%Y-%j", "2023-60", "2023-03-01"],
    ["%Y-%j", "2024-366", "2024-12-31"],
    ["%a, %d %b %Y", "Fri, 27 Nov 2026", "2026-11-27"],
    ["%A %d %B %Y", "friday 27 november 2026", "2026-11-27"],
    ["%d%%%m%%%Y", "01%02%2003", "2003-02-01"],
  ])("%s reads %j as %s", (format, raw, canonical) => {
    expect(read(format, "date", raw)).toBe(canonical);
  });

  it.each([
    ["00", "2000"],
    ["68", "2068"],
    ["69", "1969"],
    ["99", "1999"],
  ])("%%y reads %s as the year %s (the POSIX pivot)", (yy, year) => {
    expect(read("%d/%m/%y", "date", `01/01/${yy}`)).toBe(`${year}-01-01`);
  });

  it.each([
    ["%b %d %Y", "Feb 29 2001", /2001-02-29 is not a calendar date$/],
    ["%b %d %Y", "Jan 32 2000", /expected a day of the month \(1-31\) at character 5$/],
    ["%b %d %Y", "Foo 1 2000", /expected a month name \(Jan-Dec\) at character 1$/],
    ["%b %d %Y", "Sept 1 2000", /expected a space at character 4$/],
    ["%b %d %Y", "Jan 1 2000 extra", /expected the end of the value at character 11$/],
    ["%b %d %Y", "Jan 1 0", /^refused: year 0000 does not exist/],
    ["%m/%d/%Y", "13/01/2000", /expected a month \(1-12\) at character 1$/],
    ["%m/%d/%Y", "1-1-2000", /expected "\/" at character 2$/],
    ["%Y-%j", "2023-366", /2023 has no day 366$/],
    ["%a, %d %b %Y", "Thu, 27 Nov 2026", /2026-11-27 is not a Thursday$/],
    ["%Y%m%d", "201501", /expected a day of the month \(1-31\) at character 7$/],
  ])("%s refuses %j naming the problem", (format, raw, reason) => {
    expect(read(format, "date", raw)).toMatch(/^refused: /);
    expect(read(format, "date", raw)).toMatch(reason);
  });

  it("starts each reason with the format the value did not fit", () => {
    expect(read("%b %d %Y", "date", "2000-01-01")).toBe(
      'refused: not a date in format "%b %d %Y": expected a month name (Jan-Dec) at character 1',
    );
  });

  it("refuses values that are not text, except a Date at a UTC midnight", () => {
    expect(read("%Y", "date", 2000)).toBe('refused: not a date in format "%Y"');
    expect(read("%Y", "date", new Date("2020-03-01T00:00:00Z"))).toBe("2020-03-01");
    expect(read("%Y", "date", new Date("2020-03-01T12:00:00Z"))).toMatch(/has a time of day/);
  });
});

describe("timestamp patterns", () => {
  it.each([
    ["%Y/%m/%d %H:%M:%S", "2015/01/01 01:00:00", "2015-01-01T01:00:00.000Z"], // vega-datasets github.csv
    ["%Y/%m/%d %H:%M:%S", "2015/1/1 1:0:0", "2015-01-01T01:00:00.000Z"],
    ["%Y/%m/%d %H:%M:%S", "2015/01/01 \t 23:59:59", "2015-01-01T23:59:59.000Z"],
    ["%Y-%m-%d", "2015-01-01", "2015-01-01T00:00:00.000Z"],
    ["%m/%d/%Y %I:%M %p", "12/31/1999 12:00 AM", "1999-12-31T00:00:00.000Z"],
    ["%m/%d/%Y %I:%M %p", "12/31/1999 12:30 pm", "1999-12-31T12:30:00.000Z"],
    ["%m/%d/%Y %I:%M %p", "12/31/1999 1:05 PM", "1999-12-31T13:05:00.000Z"],
    ["%d/%b/%Y:%T %z", "10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36.000Z"],
    ["%Y-%m-%dT%H:%M:%S%z", "2026-11-27T10:15:30+05:30", "2026-11-27T04:45:30.000Z"],
    ["%Y-%m-%dT%H:%M:%S%z", "2026-11-27T10:15:30+01", "2026-11-27T09:15:30.000Z"],
    ["%Y-%m-%dT%H:%M:%S%z", "2026-11-27T10:15:30Z", "2026-11-27T10:15:30.000Z"],
    ["%Y-%m-%d %H:%M:%S %Z", "2026-11-27 10:15:30 UTC", "2026-11-27T10:15:30.000Z"],
    ["%Y-%m-%d %H:%M:%S %Z", "2026-11-27 10:15:30 gmt", "2026-11-27T10:15:30.000Z"],
    ["%H:%M:%S.%f %Y-%m-%d", "10:15:30.5 2026-11-27", "2026-11-27T10:15:30.500Z"],
    ["%H:%M:%S.%f %Y-%m-%d", "10:15:30.000001 2026-11-27", "2026-11-27T10:15:30.000001Z"],
    ["%H:%M:%S.%f %Y-%m-%d", "10:15:30.1234565 2026-11-27", "2026-11-27T10:15:30.123456Z"],
    ["%H:%M:%S.%f %Y-%m-%d", "10:15:30.1234575 2026-11-27", "2026-11-27T10:15:30.123458Z"],
    ["%H:%M:%S.%f %Y-%m-%d", "23:59:59.9999996 2026-12-31", "2027-01-01T00:00:00.000Z"],
    ["%a %b %d %H:%M:%S %Y", "Fri Nov 27 10:15:30 2026", "2026-11-27T10:15:30.000Z"],
    ["%Y-%m-%d %H:%M%z", "0001-01-01 01:00+01:00", "0001-01-01T00:00:00.000Z"],
  ])("%s reads %j as %s", (format, raw, canonical) => {
    expect(read(format, "timestamp", raw)).toBe(canonical);
  });

  it.each([
    ["%Y/%m/%d %H:%M:%S", "2015/01/01T01:00:00", /expected a space at character 11$/],
    ["%Y/%m/%d %H:%M:%S", "2015/01/01 24:00:00", /expected an hour \(0-23\) at character 12$/],
    ["%Y/%m/%d %H:%M:%S", "2015/01/01 01:60:00", /expected minutes \(0-59\)/],
    ["%m/%d/%Y %I:%M %p", "12/31/1999 13:05 PM", /expected an hour \(1-12\)/],
    ["%m/%d/%Y %I:%M %p", "12/31/1999 1:05 XM", /expected AM or PM/],
    ["%Y-%m-%d %H:%M:%S %Z", "2026-11-27 10:15:30 Europe/Paris", /time zone Europe\/Paris is not supported/],
    ["%Y-%m-%d %H:%M:%S %Z", "2026-11-27 10:15:30 EST", /time zone EST is not supported/],
    ["%Y-%m-%dT%H:%M:%S%z", "2026-11-27T10:15:30+24:00", /expected a UTC offset/],
    ["%Y-%m-%d %H:%M%z", "0001-01-01 00:30+01:00", /^refused: outside 0001-01-01T00:00:00Z/],
    ["%Y-%m-%d %H:%M%z", "9999-12-31 23:30-01:00", /^refused: outside 0001-01-01T00:00:00Z/],
  ])("%s refuses %j naming the problem", (format, raw, reason) => {
    expect(read(format, "timestamp", raw)).toMatch(reason);
  });

  it("reads a Date (as Parquet readers give timestamps) as its instant", () => {
    expect(read("%Y", "timestamp", new Date("2020-03-01T12:00:00.250Z"))).toBe("2020-03-01T12:00:00.250Z");
  });
});

describe("unix and unix_ms", () => {
  it.each([
    ["unix", 0, "1970-01-01T00:00:00.000Z"],
    ["unix", "1420070400", "2015-01-01T00:00:00.000Z"],
    ["unix", 1420070400.25, "2015-01-01T00:00:00.250Z"],
    ["unix", "1420070400.0000015", "2015-01-01T00:00:00.000002Z"],
    ["unix", "-1.5", "1969-12-31T23:59:58.500Z"],
    ["unix", "-0.000001", "1969-12-31T23:59:59.999999Z"],
    ["unix", 253402300799n, "9999-12-31T23:59:59.000Z"],
    ["unix_ms", 1517966773840, "2018-02-07T01:26:13.840Z"], // vega-datasets earthquakes.json "time"
    ["unix_ms", " 1517966773840 ", "2018-02-07T01:26:13.840Z"],
    ["unix_ms", "1517966773840.5", "2018-02-07T01:26:13.840500Z"],
    ["unix_ms", "-62135596800000", "0001-01-01T00:00:00.000Z"],
  ])("%s reads %j as %s", (format, raw, canonical) => {
    expect(read(format, "timestamp", raw)).toBe(canonical);
  });

  it.each([
    ["unix", "1e9", /^refused: not a number of seconds since 1970-01-01 \(unix\)$/],
    ["unix", "12:00", /not a number of seconds/],
    ["unix", ".", /not a number of seconds/],
    ["unix", Number.NaN, /not a number of seconds/],
    ["unix", true, /not a number of seconds/],
    ["unix", "253402300800", /^refused: outside/],
    ["unix_ms", "-62135596800001", /^refused: outside/],
    ["unix_ms", "99999999999999999999999", /^refused: outside/],
  ])("%s refuses %j", (format, raw, reason) => {
    expect(read(format, "timestamp", raw)).toMatch(reason);
  });

  it("reads a date only at a UTC midnight", () => {
    expect(read("unix", "date", 946684800)).toBe("2000-01-01");
    expect(read("unix_ms", "date", "-86400000")).toBe("1969-12-31");
    expect(read("unix", "date", 946684801)).toMatch(
      /^refused: has a time of day \(2000-01-01T00:00:01\.000Z\); a date field takes a UTC midnight only/,
    );
  });
});

describe("patterns checked when the contract is read", () => {
  it.each([
    [
      "%Y-%m-%d %H:%M",
      "date",
      "a date format cannot hold a time of day (%H %M); declare the field a timestamp",
    ],
    ["%Y-%m-%d %z", "date", "a date format cannot hold a time of day (%z); declare the field a timestamp"],
    ["%Y-%m-%d %I:%M", "timestamp", "%I (12-hour clock) needs %p (AM/PM)"],
    ["%Y-%m-%d %H:%M %p", "timestamp", "%p (AM/PM) needs %I (hour on a 12-hour clock)"],
    ["%d %d %Y", "date", "%d appears twice"],
    ["%m %b %Y", "date", "%m and %b both give the month"],
    ["%T %H %Y", "timestamp", "%T and %H both give the hour"],
    ["%Y %y", "date", "%Y and %y both give the year"],
    ["%Y-%j-%m", "date", "%j (day of the year) cannot be combined with a month or a day"],
    ["%m-%d", "date", "has no year (%Y or %y)"],
    ["%Y-%d", "date", "has a day (%d) but no month (%m, %b or %B)"],
    ["%Y %M", "timestamp", "%M (minutes) needs an hour (%H or %I)"],
    ["%Y %H %S", "timestamp", "%S (seconds) needs minutes (%M)"],
    ["%Y %H:%M %f", "timestamp", "%f (fraction of a second) needs seconds (%S)"],
    [
      "%Y %q",
      "date",
      "%q is not a directive (use %a %A %b %B %d %e %f %H %I %j %m %M %p %S %T %y %Y %z %Z %%, or unix / unix_ms)",
    ],
    ["%Y %-b", "date", expect.stringMatching(/^%-b is not a directive/)],
    ["%Y %", "date", "ends with a lone %"],
  ])("%s as a %s: %s", (format, kind, problem) => {
    expect(timeFormatProblems(format, kind as TimeKind)).toContainEqual(problem);
  });

  it("lists every problem of a pattern, not only the first", () => {
    expect(timeFormatProblems("%I:%M", "date")).toEqual([
      "a date format cannot hold a time of day (%I %M); declare the field a timestamp",
      "has no year (%Y or %y)",
      "%I (12-hour clock) needs %p (AM/PM)",
    ]);
  });

  it("refuses to compile an impossible pattern with a ContractError naming every problem", () => {
    expect(() => compileTimeFormat("%d %d", "date")).toThrow(ContractError);
    expect(() => compileTimeFormat("%d %d", "date")).toThrow(/"%d %d": %d appears twice; has no year/);
  });

  it("accepts unix, unix_ms and patterns without problems", () => {
    expect(timeFormatProblems("unix", "date")).toEqual([]);
    expect(timeFormatProblems("unix_ms", "timestamp")).toEqual([]);
    expect(timeFormatProblems("%Y/%m/%d %H:%M:%S", "timestamp")).toEqual([]);
  });
});

describe("common formats for inference", () => {
  it.each(COMMON_DATE_FORMATS)("the date format %s compiles and reads what it writes", (format) => {
    const written = format
      .replace("%a", "Fri")
      .replace("%A", "Friday")
      .replace("%B", "November")
      .replace("%b", "Nov")
      .replace("%d", "27")
      .replace("%m", "11")
      .replace("%Y", "2026")
      .replace("%y", "26");
    expect(read(format, "date", written)).toBe("2026-11-27");
  });

  it.each(COMMON_TIMESTAMP_FORMATS)("the timestamp format %s compiles and reads what it writes", (format) => {
    const written = format
      .replace("%a", "Fri")
      .replace("%b", "Nov")
      .replace("%d", "27")
      .replace("%m", "11")
      .replace("%Y", "2026")
      .replace("%y", "26")
      .replace("%H", "14")
      .replace("%I", "02")
      .replace("%p", "PM")
      .replace("%M", "05")
      .replace("%S", "09")
      .replace("%f", "5")
      .replace("%z", "+0000")
      .replace("%Z", "UTC");
    expect(read(format, "timestamp", written)).toMatch(/^2026-11-27T14:05:(09|00)\.(000|500)Z$/);
  });
});

describe("agreement with JavaScript's own Date", () => {
  /** A deterministic pseudo-random sequence in [0, 1) (mulberry32), so a failure can be replayed. */
  function random(seed: number): () => number {
    let state = seed;
    return () => {
      state = (state + 0x6d2b79f5) | 0;
      let t = Math.imul(state ^ (state >>> 15), 1 | state);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
    };
  }
  const FIRST = Date.parse("0001-01-01T00:00:00Z");
  const LAST = Date.parse("9999-12-31T23:59:59.999Z");
  const instants = (seed: number, count: number) => {
    const next = random(seed);
    return Array.from({ length: count }, () => FIRST + Math.floor(next() * (LAST - FIRST)));
  };

  it("writes 20,000 random instants of years 1-9999 as toISOString does (unix_ms)", () => {
    const parse = compileTimeFormat("unix_ms", "timestamp");
    const ms = [FIRST, LAST, 0, -1, 951_782_400_000, ...instants(11, 20_000)];
    expect(ms.map((value) => parse(value))).toEqual(ms.map((value) => new Date(value).toISOString()));
  });

  it("reads 20,000 random instants written %Y-%m-%d %H:%M:%S.%f %z as Date.parse reads their ISO form", () => {
    const parse = compileTimeFormat("%Y-%m-%d %H:%M:%S.%f %z", "timestamp");
    const next = random(7);
    const written = instants(5, 20_000).map((ms) => {
      const offset = Math.floor(next() * 27 - 13) * 60 + (next() < 0.2 ? 30 : 0);
      const local = new Date(ms + offset * 60_000).toISOString();
      const sign = offset < 0 ? "-" : "+";
      const zone = `${sign}${String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0")}:${String(Math.abs(offset) % 60).padStart(2, "0")}`;
      return {
        text: `${local.slice(0, 10)} ${local.slice(11, 23)} ${zone}`,
        iso: `${local.slice(0, 23)}${zone}`,
      };
    });
    const inRange = written.filter(({ iso }) => Date.parse(iso) >= FIRST && Date.parse(iso) <= LAST);
    expect(inRange.length).toBeGreaterThan(19_900);
    expect(inRange.map(({ text }) => parse(text))).toEqual(
      inRange.map(({ iso }) => new Date(Date.parse(iso)).toISOString()),
    );
  });

  it("reads 5,000 random dates written %d %B %Y (weekday checked with %A) as Date writes them", () => {
    const parse = compileTimeFormat("%A %d %B %Y", "date");
    const days = instants(3, 5_000).map((ms) => new Date(ms - (ms % 86_400_000)));
    const written = days.map(
      (day) =>
        `${day.toLocaleDateString("en-US", { weekday: "long", timeZone: "UTC" })} ${day.getUTCDate()} ${day.toLocaleDateString("en-US", { month: "long", timeZone: "UTC" })} ${String(day.getUTCFullYear()).padStart(4, "0")}`,
    );
    expect(written.map((text) => parse(text))).toEqual(days.map((day) => day.toISOString().slice(0, 10)));
  });
});

describe("the order of the common formats", () => {
  const firstReading = (formats: readonly string[], kind: TimeKind, value: string) =>
    formats.find((format) => !read(format, kind, value).startsWith("refused"));

  it.each([
    ["Jan 1 2000", "%b %d %Y"],
    ["12/31/99", "%m/%d/%y"],
    ["12/31/1999", "%m/%d/%Y"],
    ["31/12/1999", "%d/%m/%Y"],
    ["07-Jul-05", "%d-%b-%y"],
  ])("proposes for the date %s the pattern %s first", (value, format) => {
    expect(firstReading(COMMON_DATE_FORMATS, "date", value)).toBe(format);
  });

  it.each([
    ["2015/01/01 01:00:00", "%Y/%m/%d %H:%M:%S"],
    ["12/31/99 13:00", "%m/%d/%y %H:%M"],
    ["12/31/1999 1:05:00 PM", "%m/%d/%Y %I:%M:%S %p"],
    ["2026-11-27 10:15:30 +01:00", "%Y-%m-%d %H:%M:%S %z"],
  ])("proposes for the timestamp %s the pattern %s first", (value, format) => {
    expect(firstReading(COMMON_TIMESTAMP_FORMATS, "timestamp", value)).toBe(format);
  });
});
