import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { type DatasetContractInput, parseDatasetContract } from "@sluice/core";
import { parquetReadObjects } from "hyparquet";
import { parquetWriteBuffer } from "hyparquet-writer";
import { parquetColumns, readParquetMetadata, readParquetRowGroups } from "../../src/parse/parquet";
import { stageStream } from "../../src/stage-stream";
import {
  quarantineOf,
  RAW_BUCKET,
  receivedEvent,
  stage,
  testDeps,
  vegaDatasetPath,
} from "../../src/testing/fixtures";

const KEY = "events/2026/events.parquet";

function eventsContract(changes: Partial<DatasetContractInput> = {}) {
  return parseDatasetContract({
    name: "events",
    version: 1,
    match: { prefix: "events/" },
    format: { type: "parquet" },
    fields: [
      { name: "id", type: "integer", required: true },
      { name: "n", type: "integer" },
      { name: "price", type: "decimal", scale: 2 },
      { name: "at", type: "timestamp" },
      { name: "mag", type: "decimal", source: "props.mag" },
      { name: "place", type: "string", source: "props.place" },
      { name: "first_tag", type: "string", source: "tags.0" },
      { name: "props", type: "json" },
      { name: "tags", type: "json" },
    ],
    table: "events",
    quarantine: { maxBadRowRatio: 1 },
    ...changes,
  });
}

/** A Parquet file with 64-bit integers, a decimal, a timestamp, a struct and a list, two rows per row group. */
function eventsParquet(): Buffer {
  const file = parquetWriteBuffer({
    columnData: [
      { name: "id", data: [1n, 9007199254740993n, null, 4n] },
      { name: "n", data: [1, 2, 3, null] },
      { name: "price", data: [12345n, -5n, null, 7n] },
      { name: "at", data: [new Date("2026-01-02T03:04:05.678Z"), null, null, new Date(0)] },
      { name: "props", data: [{ mag: 2.5, place: "Castaic, CA" }, { mag: null, place: "y" }, null, null] },
      { name: "tags", data: [["a", "b"], [], null, ["z"]] },
    ],
    rowGroupSize: 2,
    schema: [
      { name: "root", num_children: 6 },
      { name: "id", type: "INT64", repetition_type: "OPTIONAL" },
      { name: "n", type: "INT32", repetition_type: "OPTIONAL" },
      {
        name: "price",
        type: "INT64",
        repetition_type: "OPTIONAL",
        converted_type: "DECIMAL",
        scale: 2,
        precision: 10,
      },
      { name: "at", type: "INT64", repetition_type: "OPTIONAL", converted_type: "TIMESTAMP_MILLIS" },
      { name: "props", repetition_type: "OPTIONAL", num_children: 2 },
      { name: "mag", type: "DOUBLE", repetition_type: "OPTIONAL" },
      { name: "place", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
      { name: "tags", repetition_type: "OPTIONAL", converted_type: "LIST", num_children: 1 },
      { name: "list", repetition_type: "REPEATED", num_children: 1 },
      { name: "element", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ],
  });
  return Buffer.from(file);
}

describe("stageStream with Parquet", () => {
  it("stages each row at its row number, 64-bit integers and decimals exact, nested fields by path", async () => {
    // act
    const result = await stage(eventsContract(), eventsParquet(), { key: KEY });

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe(
      [
        '1,1,1,123.45,2026-01-02T03:04:05.678Z,2.5,"Castaic, CA",a,"{""mag"":2.5,""place"":""Castaic, CA""}","[""a"",""b""]"',
        '2,9007199254740993,2,-0.05,,,y,,"{""mag"":null,""place"":""y""}",[]',
        '4,4,,0.07,1970-01-01T00:00:00.000Z,,,z,,"[""z""]"',
        "",
      ].join("\n"),
    );
    expect(result.rejects()).toEqual([{ line: 3, field: "id", reason: "required value is missing" }]);
  });

  it("stages the same rows when each row group is read in slices of one row", async () => {
    // act
    const whole = await stage(eventsContract(), eventsParquet(), { key: KEY });
    const sliced = await stage(eventsContract(), eventsParquet(), {
      key: KEY,
      config: { parquetReadBytes: 1 },
    });

    // assert
    expect(sliced.rows()).toBe(whole.rows());
    expect(sliced.rejects()).toEqual(whole.rejects());
  });

  it("reads the object by byte ranges, never whole", async () => {
    // prepare
    const deps = testDeps();
    const ranges: unknown[] = [];
    const get = deps.store.get.bind(deps.store);
    deps.store.get = (bucket, key, options) => {
      if (bucket === RAW_BUCKET) ranges.push(options?.range);
      return get(bucket, key, options);
    };

    // act
    const result = await stage(eventsContract(), eventsParquet(), { key: KEY, deps });

    // assert: the fixture's own body read aside, every read is a range
    expect(result.outcome.status).toBe("staged");
    expect(ranges.slice(1).length).toBeGreaterThan(2);
    expect(ranges.slice(1).every((range) => range !== undefined)).toBe(true);
  });

  it("quarantines a file without a column for a required field, naming it", async () => {
    // act
    const result = await stage(
      eventsContract({ fields: [{ name: "code", type: "string", required: true }] }),
      eventsParquet(),
      {
        key: KEY,
      },
    );

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe("missing-column");
    expect(quarantine.message).toContain("no column for required field code");
  });

  it.each([
    ["CSV content", () => Buffer.from("id,n\n1,2\n3,4\n5,6\n"), "wrong-format", "not a Parquet file"],
    [
      "a gzipped Parquet file",
      () => gzipSync(eventsParquet()),
      "wrong-format",
      "content is gzip, not Parquet",
    ],
    [
      "a Parquet file cut short",
      () => eventsParquet().subarray(0, 200),
      "malformed-parquet",
      "Parquet cannot be read",
    ],
  ])("quarantines %s", async (_what, content, reason, message) => {
    // act
    const result = await stage(eventsContract(), content(), { key: KEY });

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe(reason);
    expect(quarantine.message).toContain(message);
    expect(result.manifest()).toBeUndefined();
  });

  it("throws a store failure for a retry instead of quarantining the file", async () => {
    // prepare
    const deps = testDeps();
    const contract = eventsContract();
    const content = eventsParquet();
    deps.store.seed(RAW_BUCKET, KEY, content);
    deps.store.get = async () => {
      throw new Error("connection reset");
    };
    const event = receivedEvent(contract, KEY, { size: content.length });

    // act
    const staging = stageStream({ event, contract, producer: "transform" }, deps);

    // assert
    await expect(staging).rejects.toThrow("connection reset");
    expect(deps.publisher.events).toEqual([]);
  });
});

describe("readParquetRowGroups on vega-datasets flights-3m.parquet (Polars, ZSTD)", () => {
  it("reads the first row group as hyparquet's own object reader does, timestamps as ISO text", async () => {
    // prepare
    const bytes = new Uint8Array(readFileSync(vegaDatasetPath("flights-3m.parquet"))).buffer;
    const metadata = await readParquetMetadata(bytes);
    const columns = parquetColumns(metadata);
    const { compressors } = await import("hyparquet-compressors");
    const expected = await parquetReadObjects({ file: bytes, rowEnd: 1000, compressors });

    // act
    const groups: { rowStart: number; rows: number; first: unknown[][] }[] = [];
    await readParquetRowGroups(
      bytes,
      metadata,
      columns,
      64 * 1024 * 1024,
      ({ rowStart, rows, columns: values }) => {
        const first = Array.from({ length: 1000 }, (_, row) =>
          columns.map((name) => values.get(name)!.at(row)),
        );
        groups.push({ rowStart, rows, first });
        return false;
      },
    );

    // assert
    expect(columns).toEqual(["date", "delay", "distance", "origin", "destination"]);
    expect(groups.map(({ rowStart, rows }) => [rowStart, rows])).toEqual([[0, 272_727]]);
    expect(groups[0]!.first).toEqual(
      expected.map((row) => [
        `${(row.date as Date).toISOString().slice(0, 23)}000Z`,
        String(row.delay),
        String(row.distance),
        row.origin,
        row.destination,
      ]),
    );
  });
});
