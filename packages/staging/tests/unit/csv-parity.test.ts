import { CsvError } from "csv-parse";
import { parse } from "csv-parse/sync";
import { DEFAULT_STAGING_CONFIG, type StagingConfig } from "../../src/config";
import { type CsvFormat, countLineBreaks, readCsv } from "../../src/parse/csv";
import { seededRandom as random } from "../../src/testing/fixtures";

/** What csv-parse alone (the reader before papaparse) makes of `text`: records, then its error code. */
function reference(text: string, format: CsvFormat, config: StagingConfig) {
  const records: string[][] = [];
  try {
    const all = parse(text, {
      delimiter: format.delimiter,
      quote: format.quote,
      escape: format.quote,
      bom: true,
      record_delimiter: ["\r\n", "\n", "\r"],
      relax_quotes: true,
      relax_column_count: true,
      max_record_size: config.maxRecordChars,
      on_record: (record: string[]) => {
        records.push(record);
        return record;
      },
    });
    return { records: all as string[][], error: undefined };
  } catch (error) {
    return { records, error: (error as CsvError).code };
  }
}

/** The bytes of `text` in chunks cut at `cuts`. */
async function* cutAt(text: string, cuts: number[]) {
  const bytes = Buffer.from(text);
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

/** What {@link readCsv} makes of `text` when its bytes arrive cut at `cuts`. */
async function actual(text: string, cuts: number[], format: CsvFormat, config: StagingConfig) {
  const records: string[][] = [];
  try {
    await readCsv(cutAt(text, cuts), format, config, (record) => records.push([...record]));
    return { records, error: undefined };
  } catch (error) {
    if (!(error instanceof CsvError)) throw error;
    return { records, error: error.code };
  }
}

const COMMA: CsvFormat = { type: "csv", delimiter: ",", quote: '"', header: true };
const TAB_APOSTROPHE: CsvFormat = { type: "csv", delimiter: "\t", quote: "'", header: true };

/** Text from CSV's troublesome pieces: quotes, delimiters, every line ending, spaces, multi-byte characters. */
function noise(rng: ReturnType<typeof random>, format: CsvFormat): string {
  const q = format.quote;
  const d = format.delimiter;
  const pieces = [
    "a",
    "bc",
    " ",
    d,
    q,
    `${q}${q}`,
    "\n",
    "\r",
    "\r\n",
    "é",
    "😀",
    "\t",
    "\uFEFF",
    `${q}x${q}`,
  ];
  let text = rng.int(8) === 0 ? "\uFEFF" : "";
  const n = rng.int(40);
  for (let i = 0; i < n; i++) text += rng.pick(pieces);
  return text;
}

/** A well-formed CSV with one line ending, quoted fields (some holding that line ending) and blank lines. */
function wellFormed(rng: ReturnType<typeof random>, format: CsvFormat): string {
  const q = format.quote;
  const d = format.delimiter;
  const eol = rng.pick(["\n", "\r\n"]);
  const values = ["", "x", "12.50", `say ${q}${q}hi${q}${q}`, `a${d}b`, `two${eol}lines`, " pad ", "naïve"];
  const rows: string[] = [];
  for (let r = rng.int(30); r > 0; r--) {
    if (rng.int(10) === 0) {
      rows.push("");
      continue;
    }
    const fields: string[] = [];
    for (let f = 1 + rng.int(4); f > 0; f--) {
      const value = rng.pick(values);
      const needsQuotes = value.includes(q) || value.includes(d) || value.includes("\n") || rng.int(3) === 0;
      fields.push(needsQuotes ? `${q}${value}${q}` : value);
    }
    rows.push(fields.join(d));
  }
  return rows.join(eol) + (rng.int(2) === 0 ? eol : "");
}

function cutsOf(rng: ReturnType<typeof random>, length: number): number[] {
  const cuts: number[] = [];
  for (let at = rng.int(12); at < length; at += 1 + rng.int(12)) cuts.push(at);
  return cuts;
}

describe("readCsv", () => {
  it.each([
    ["commas and double quotes", COMMA],
    ["tabs and apostrophes", TAB_APOSTROPHE],
  ])(
    "reads exactly what csv-parse reads, records and errors, however the bytes are cut (%s)",
    async (_name, format) => {
      // prepare
      const rng = random(format === COMMA ? 1 : 2);
      const cases = Array.from({ length: 1500 }, (_, i) => {
        const text = i % 2 === 0 ? noise(rng, format) : wellFormed(rng, format);
        const config = { ...DEFAULT_STAGING_CONFIG, maxRecordChars: rng.pick([8, 40, 1024 * 1024]) };
        return { text, config, cuts: cutsOf(rng, Buffer.byteLength(text)) };
      });

      for (const { text, config, cuts } of cases) {
        // act
        const got = await actual(text, cuts, format, config);

        // assert
        expect({ text, ...got }).toEqual({ text, ...reference(text, format, config) });
      }
    },
  );

  it("hands each record with the line breaks inside its values, however the bytes are cut", async () => {
    // prepare
    const rng = random(3);
    const cases = Array.from({ length: 1500 }, (_, i) => {
      const format = i % 4 < 2 ? COMMA : TAB_APOSTROPHE;
      const text = i % 2 === 0 ? noise(rng, format) : wellFormed(rng, format);
      return { text, format, cuts: cutsOf(rng, Buffer.byteLength(text)) };
    });

    for (const { text, format, cuts } of cases) {
      const handed: number[] = [];
      const counted: number[] = [];

      // act
      await readCsv(cutAt(text, cuts), format, DEFAULT_STAGING_CONFIG, (record, breaks) => {
        handed.push(breaks);
        counted.push(countLineBreaks(record));
      }).catch((error: unknown) => {
        if (!(error instanceof CsvError)) throw error;
      });

      // assert
      expect({ text, breaks: handed }).toEqual({ text, breaks: counted });
    }
  });

  it.each([
    "\t",
    "\v",
    "\f",
    " ",
    "\u00a0",
    "\u1680",
    "\u2000",
    "\u200a",
    "\u2028",
    "\u2029",
    "\u202f",
    "\u205f",
    "\u3000",
    "\uFEFF",
  ])("reads a closing quote followed by whitespace %j as csv-parse does, not as papaparse", async (space) => {
    // prepare: papaparse would skip any whitespace (String.prototype.trim's) after a closing quote
    const text = `a,b\n"x"${space},y\n"z",w\n`;

    // act
    const got = await actual(text, [], COMMA, DEFAULT_STAGING_CONFIG);

    // assert
    expect(got).toEqual(reference(text, COMMA, DEFAULT_STAGING_CONFIG));
  });

  it("keeps line endings mixed in one file apart, and those inside quotes byte for byte", async () => {
    // prepare: LF, CRLF and a lone CR end records; a quoted value holds a CRLF and an LF
    const text = 'a,b\nc,"d\r\ne"\r\nf,g\rh,"i\nj"\n';

    // act
    const got = await actual(text, [], COMMA, DEFAULT_STAGING_CONFIG);

    // assert
    expect(got).toEqual({
      records: [
        ["a", "b"],
        ["c", "d\r\ne"],
        ["f", "g"],
        ["h", "i\nj"],
      ],
      error: undefined,
    });
  });

  it("ends the last record at a lone CR closing a CRLF file", async () => {
    // prepare
    const text = "x,y\r\na, \r";

    // act
    const got = await actual(text, [], COMMA, DEFAULT_STAGING_CONFIG);

    // assert
    expect(got).toEqual({
      records: [
        ["x", "y"],
        ["a", " "],
      ],
      error: undefined,
    });
  });

  it("keeps a quoted value followed by a space as data, as csv-parse does", async () => {
    // prepare: papaparse alone would read the value as `a`
    const text = 'x,y\n"a" ,b\n';

    // act
    const got = await actual(text, [], COMMA, DEFAULT_STAGING_CONFIG);

    // assert
    expect(got).toEqual({
      records: [
        ["x", "y"],
        ['"a" ', "b"],
      ],
      error: undefined,
    });
  });
});
