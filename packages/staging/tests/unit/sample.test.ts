import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { QuarantineError } from "@sluice/core";
import { objectBytesFromFile } from "../../src/parse/parquet";
import { readSampleRecords, readSampleText } from "../../src/sample";
import { vegaDatasetPath } from "../../src/testing/fixtures";

describe("readSampleRecords", () => {
  it("reads the first CSV records by header name, gzip detected, at their lines", async () => {
    // prepare
    const csv = gzipSync('name,price\n"a\nb",1\n\nc,2\nd,3\n');

    // act
    const sample = await readSampleRecords(
      Readable.from([csv]),
      { type: "csv", delimiter: ",", quote: '"', header: true },
      {
        limit: 2,
      },
    );

    // assert
    expect(sample).toEqual([
      { line: 2, values: { name: "a\nb", price: "1" } },
      { line: 5, values: { name: "c", price: "2" } },
    ]);
  });

  it("reads NDJSON objects, leaving out lines that are not objects", async () => {
    // act
    const sample = await readSampleRecords(
      Readable.from([Buffer.from('{"a": 1}\nnot json\n[1]\n{"a": {"b": 2}}')]),
      { type: "ndjson" },
      {
        limit: 5,
      },
    );

    // assert
    expect(sample).toEqual([
      { line: 1, values: { a: 1 } },
      { line: 4, values: { a: { b: 2 } } },
    ]);
  });

  it("reads the records array of vega-datasets earthquakes.json (GeoJSON features), stopping at the limit", async () => {
    // act
    const sample = await readSampleRecords(
      createReadStream(vegaDatasetPath("earthquakes.json")),
      { type: "json", records: "features" },
      { limit: 3 },
    );

    // assert
    expect(sample).toHaveLength(3);
    expect(sample[0]!.values).toMatchObject({
      id: "ci37868143",
      properties: { mag: 2, place: "4km W of Castaic, CA" },
    });
  });

  it("reads the first Parquet rows of vega-datasets flights-3m.parquet with their row numbers", async () => {
    // act
    const sample = await readSampleRecords(
      await objectBytesFromFile(vegaDatasetPath("flights-3m.parquet")),
      { type: "parquet" },
      {
        limit: 2,
      },
    );

    // assert
    expect(sample).toEqual([
      {
        line: 1,
        values: {
          date: "2001-01-01T00:01:00.000000Z",
          delay: "33",
          distance: "2176",
          origin: "LAS",
          destination: "PHL",
        },
      },
      {
        line: 2,
        values: {
          date: "2001-01-01T00:01:00.000000Z",
          delay: "19",
          distance: "215",
          origin: "ATL",
          destination: "SAV",
        },
      },
    ]);
  });

  it("reads only the first maxBytes of gzip CSV content, cut after their last line break", async () => {
    // prepare
    const csv = gzipSync("id,name\n1,a\n2,bb\n3,ccc\n");

    // act
    const text = await readSampleText(Readable.from([csv]), { maxBytes: 17 });
    const records = await readSampleRecords(
      Readable.from([csv]),
      { type: "csv", delimiter: ",", quote: '"', header: true },
      { limit: 10, maxBytes: 17 },
    );
    const whole = await readSampleText(Readable.from([csv]), { maxBytes: 100 });

    // assert
    expect(text).toEqual({ text: "id,name\n1,a\n2,bb\n", complete: false });
    expect(records.map((r) => r.values)).toEqual([
      { id: "1", name: "a" },
      { id: "2", name: "bb" },
    ]);
    expect(whole).toEqual({ text: "id,name\n1,a\n2,bb\n3,ccc\n", complete: true });
  });

  it("reads the whole elements of a JSON array cut off by maxBytes, and of a quoted CSV value cut off", async () => {
    // prepare
    const json = Buffer.from(JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]));
    const csv = Buffer.from('a,b\n1,x\n2,"multi\nline value"\n');

    // act
    const elements = await readSampleRecords(
      Readable.from([json]),
      { type: "json" },
      { limit: 10, maxBytes: 18 },
    );
    const rows = await readSampleRecords(
      Readable.from([csv]),
      { type: "csv", delimiter: ",", quote: '"', header: true },
      { limit: 10, maxBytes: 20 },
    );

    // assert
    expect(elements.map((r) => r.values)).toEqual([{ a: 1 }, { a: 2 }]);
    expect(rows.map((r) => r.values)).toEqual([{ a: "1", b: "x" }]);
  });

  it("still throws a structure error maxBytes has nothing to do with", async () => {
    // act
    const sampling = readSampleRecords(
      Readable.from([Buffer.from('{"a": 1}\n{"b": 2}\n')]),
      { type: "json" },
      {
        limit: 5,
        maxBytes: 12,
      },
    );

    // assert
    await expect(sampling).rejects.toMatchObject({ code: "wrong-format" });
  });

  it("reads NDJSON as staging does: a leading BOM dropped, CRLF line ends", async () => {
    // act
    const sample = await readSampleRecords(
      Readable.from([Buffer.from('\uFEFF{"a": 1}\r\n{"a": 2}\r\n')]),
      { type: "ndjson" },
      { limit: 5 },
    );

    // assert
    expect(sample).toEqual([
      { line: 1, values: { a: 1 } },
      { line: 2, values: { a: 2 } },
    ]);
  });

  it("stops a Parquet sample at the rows whose values, as text, fit in maxBytes", async () => {
    // act
    const sample = await readSampleRecords(
      await objectBytesFromFile(vegaDatasetPath("flights-3m.parquet")),
      { type: "parquet" },
      // Rows 1 and 2 take 44 and 43 characters (a separator per value included).
      { limit: 10, maxBytes: 90, config: { parquetReadBytes: 64 * 1024 } },
    );

    // assert
    expect(sample.map((record) => record.line)).toEqual([1, 2]);
  });

  it("throws the quarantine staging would raise for a document that is not a JSON array", async () => {
    // act
    const sampling = readSampleRecords(
      Readable.from([Buffer.from('{"a": 1}')]),
      { type: "json" },
      { limit: 5 },
    );

    // assert
    await expect(sampling).rejects.toBeInstanceOf(QuarantineError);
    await expect(
      readSampleRecords(Readable.from([Buffer.from('{"a": 1}')]), { type: "json" }, { limit: 5 }),
    ).rejects.toMatchObject({
      code: "wrong-format",
    });
  });
});
