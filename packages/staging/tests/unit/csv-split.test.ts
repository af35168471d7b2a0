import { CsvError } from "csv-parse";
import { parse } from "csv-parse/sync";
import { DEFAULT_STAGING_CONFIG } from "../../src/config";
import { type CsvFormat, countLineBreaks, csvParseOptions, readCsv } from "../../src/parse/csv";
import { csvSplitter } from "../../src/parse/csv-split";
import { seededRandom as random } from "../../src/testing/fixtures";

const COMMA: CsvFormat = { type: "csv", delimiter: ",", quote: '"', header: true };
const SEMICOLON_APOSTROPHE: CsvFormat = { type: "csv", delimiter: ";", quote: "'", header: true };

/** csv-parse alone with staging's options: each record with its line breaks, then its error code. */
function reference(text: string, format: CsvFormat) {
  const records: [string[], number][] = [];
  try {
    parse(text, {
      ...csvParseOptions(format, DEFAULT_STAGING_CONFIG),
      bom: true,
      on_record: (record: string[]) => {
        records.push([record, countLineBreaks(record)]);
        return record;
      },
    });
    return { records, error: undefined };
  } catch (error) {
    return { records, error: (error as CsvError).code };
  }
}

/**
 * A CSV of the records the splitter reads (quoted values holding delimiters, doubled quotes and
 * every line ending; empty fields; rows of any width; LF, CRLF and lone CR mixed; 2-4 byte
 * characters; blank lines; a BOM), and sometimes one of what it leaves to the other readers: a
 * quote inside an unquoted value, a closing quote followed by a space, a quote that never closes.
 */
function csvText(rng: ReturnType<typeof random>, format: CsvFormat): string {
  const q = format.quote;
  const d = format.delimiter;
  const plain = ["", "x", "12.50", "naïve", "😀", "€1", " pad "];
  const quoted = [
    "",
    `a${d}b`,
    `say ${q}${q}hi${q}${q}`,
    "two\nlines",
    "cr\r\nlf",
    "lone\rcr",
    "😀\n\n€",
    q + q,
  ];
  const odd = [`5${q} screen`, `${q}a${q} `, `${q}unclosed`, ` ${q}b${q}`, `${q}a${q}b`];
  const eols = ["\n", "\r\n", "\r"];
  let text = rng.int(8) === 0 ? "\uFEFF" : "";
  for (let r = rng.int(25); r > 0; r--) {
    if (rng.int(12) > 0) {
      const fields: string[] = [];
      for (let f = 1 + rng.int(5); f > 0; f--) {
        const kind = rng.int(150);
        fields.push(kind === 0 ? rng.pick(odd) : kind < 50 ? `${q}${rng.pick(quoted)}${q}` : rng.pick(plain));
      }
      text += fields.join(d);
    }
    text += rng.pick(eols);
  }
  if (rng.int(2) === 0) text += `x${d}${q}last${q}`;
  return text;
}

describe("csvSplitter", () => {
  it.each([
    ["commas and double quotes", COMMA, 11],
    ["semicolons and apostrophes", SEMICOLON_APOSTROPHE, 12],
  ])(
    "hands on csv-parse's records and line breaks, stopping only at a record it leaves to the other readers (%s)",
    (_name, format, seed) => {
      // prepare
      const rng = random(seed);
      const split = csvSplitter(format);
      let whole = 0;

      for (let i = 0; i < 3000; i++) {
        const text = csvText(rng, format).replace(/^\uFEFF/, "");
        const handed: [string[], number][] = [];

        // act
        const result = split(text, true, (record, breaks) => handed.push([record, breaks]));

        // assert: all of csv-parse's records when it read the text, its first ones when it stopped
        const expected = reference(text, format);
        if (result.complete) {
          whole++;
          expect({ text, end: result.end, records: handed, error: undefined }).toEqual({
            text,
            end: text.length,
            ...expected,
          });
        } else {
          expect({ text, records: handed }).toEqual({
            text,
            records: expected.records.slice(0, handed.length),
          });
          expect(reference(text.slice(0, result.end), format).records).toEqual(handed);
        }
      }
      // Most texts hold none of what it leaves to the others: it must read those whole.
      expect(whole).toBeGreaterThan(1500);
    },
  );

  it.each([
    ["commas and double quotes", COMMA, 21],
    ["semicolons and apostrophes", SEMICOLON_APOSTROPHE, 22],
  ])(
    "makes readCsv read what csv-parse reads with the bytes cut at any offset (%s)",
    async (_name, format, seed) => {
      // prepare
      const rng = random(seed);
      const texts = Array.from({ length: 25 }, () => csvText(rng, format));

      for (const text of texts) {
        const bytes = Buffer.from(text);
        const expected = reference(text, format);
        for (let cut = 0; cut <= bytes.length; cut++) {
          const handed: [string[], number][] = [];
          let error: string | undefined;

          // act
          await readCsv(
            (async function* () {
              yield bytes.subarray(0, cut);
              yield bytes.subarray(cut);
            })(),
            format,
            DEFAULT_STAGING_CONFIG,
            (record, breaks) => handed.push([[...record], breaks]),
          ).catch((caught: unknown) => {
            if (!(caught instanceof CsvError)) throw caught;
            error = caught.code;
          });

          // assert
          expect({ text, cut, records: handed, error }).toEqual({ text, cut, ...expected });
        }
      }
    },
  );
});
