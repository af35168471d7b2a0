import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { QuarantineError } from "@sluice/core";
import { objectBytesFromFile } from "../../src/parse/parquet";
import { readSampleRecords } from "../../src/sample";
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
