jest.mock("csv-parse", () => {
  const actual = jest.requireActual("csv-parse");
  return { ...actual, parse: jest.fn(actual.parse) };
});

import { parse } from "csv-parse";
import { DEFAULT_STAGING_CONFIG } from "../../src/config";
import { type CsvFormat, readCsv } from "../../src/parse/csv";

const COMMA: CsvFormat = { type: "csv", delimiter: ",", quote: '"', header: true };

/** `text` as one chunk of bytes, as a store reading in large blocks hands it over. */
async function* oneChunk(text: string) {
  yield Buffer.from(text);
}

describe("readCsv given chunks longer than maxRecordChars", () => {
  // About 180 KB: three times a 64 KiB record limit, with quoted fields and multi-byte characters.
  const rows = Array.from({ length: 5000 }, (_, i) => `${i},"Zoë ${i}, ""ok""",${i}.50`);
  const text = `id,name,value\r\n${rows.join("\r\n")}\r\n`;

  beforeEach(() => jest.mocked(parse).mockClear());

  it("reads them with the fast readers, not csv-parse, record for record", async () => {
    // prepare
    const config = { ...DEFAULT_STAGING_CONFIG, maxRecordChars: 64 * 1024 };
    const records: string[][] = [];

    // act
    await readCsv(oneChunk(text), COMMA, config, (record) => records.push([...record]));

    // assert
    expect(records).toHaveLength(5001);
    expect(records[1]).toEqual(["0", 'Zoë 0, "ok"', "0.50"]);
    expect(records[5000]).toEqual(["4999", 'Zoë 4999, "ok"', "4999.50"]);
    expect(parse).not.toHaveBeenCalled();
  });

  it("still leaves a record over the limit to csv-parse, which refuses it", async () => {
    // prepare
    const config = { ...DEFAULT_STAGING_CONFIG, maxRecordChars: 1024 };
    const long = `id,name,value\n1,"${"x".repeat(4096)}",2\n`;

    // act
    const reading = readCsv(oneChunk(long), COMMA, config, () => undefined);

    // assert
    await expect(reading).rejects.toMatchObject({ code: "CSV_MAX_RECORD_SIZE" });
    expect(parse).toHaveBeenCalled();
  });
});
