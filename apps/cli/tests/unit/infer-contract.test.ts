import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { type DatasetContractInput, parseDatasetContract } from "@sluice/core";
import { parquetWriteBuffer } from "hyparquet-writer";
import { EXIT } from "../../src/exit-codes";
import { DEFAULT_INFER_OPTIONS, identifierOf, inferContract } from "../../src/infer/infer-contract";
import { tempStateDir } from "../support/harness";

describe("inferContract", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempStateDir());
  });
  afterEach(() => cleanup());

  async function infer(
    name: string,
    content: string | Buffer,
    sampleBytes = DEFAULT_INFER_OPTIONS.sampleBytes,
  ) {
    const path = join(dir, name);
    await writeFile(path, content);
    const inferred = await inferContract(path, { ...DEFAULT_INFER_OPTIONS, sampleBytes });
    parseDatasetContract(inferred.contract);
    return inferred;
  }
  const field = (contract: DatasetContractInput, name: string) =>
    contract.fields.find((f) => f.name === name);

  it("reads a semicolon CSV with a header, lower-cases names and keeps the originals as source", async () => {
    const { contract, notes } = await infer(
      "Sales Report.csv",
      "Order ID;Amount;Placed\n1;10.50;2026-01-02\n2;3;2026-01-03\n",
    );

    expect(contract).toMatchObject({
      name: "sales_report",
      match: { prefix: "sales_report/" },
      format: { type: "csv", delimiter: ";", header: true },
      table: "sales_report",
      primaryKey: ["order_id"],
    });
    expect(contract.fields).toEqual([
      { name: "order_id", source: "Order ID", type: "integer", required: true },
      { name: "amount", source: "Amount", type: "decimal", scale: 2, required: true },
      { name: "placed", source: "Placed", type: "date", required: true },
    ]);
    expect(notes).toContain(
      "header: the first line names the columns (its values are not like the rows below)",
    );
  });

  it("takes a first line of data for data, naming the columns by position", async () => {
    const { contract } = await infer("plain.tsv", "1\t2026-01-01T10:00:00Z\n2\t2026-01-02T10:00:00Z\n");

    expect(contract.format).toEqual({ type: "csv", delimiter: "\t", quote: '"', header: false });
    expect(contract.fields.map((f) => [f.name, f.type])).toEqual([
      ["column_1", "integer"],
      ["column_2", "timestamp"],
    ]);
  });

  it("finds null tokens in typed columns, keeps leading-zero codes as text, and tells booleans from 0/1", async () => {
    const rows = ["zip,score,ok,flag", "02134,1.5,yes,1", "10001,NA,no,0", "00501,-,yes,1", "94105,2,,0"];
    const { contract, notes } = await infer("t.csv", `${rows.join("\n")}\n`);

    expect(contract.nullValues).toEqual(["", "NA", "-"]);
    expect(field(contract, "zip")).toEqual({ name: "zip", type: "string", required: true });
    expect(field(contract, "score")).toEqual({ name: "score", type: "decimal", scale: 1 });
    expect(field(contract, "ok")).toEqual({ name: "ok", type: "boolean" });
    expect(field(contract, "flag")).toEqual({ name: "flag", type: "integer", required: true });
    expect(notes.join("\n")).toContain(
      'field score: decimal, scale 1: the most decimal places in the sample; null tokens "NA", "-"',
    );
  });

  it("recognises date and timestamp patterns and epoch milliseconds named as times", async () => {
    const csv =
      "day,at,created_at\nJan 1 2000,2015/01/01 01:00:00,1517966773840\nFeb 29 2000,2015/01/02 13:05:09,1517966037750\n";

    const { contract } = await infer("t.csv", csv);

    expect(field(contract, "day")).toMatchObject({ type: "date", format: "%b %d %Y" });
    expect(field(contract, "at")).toMatchObject({ type: "timestamp", format: "%Y/%m/%d %H:%M:%S" });
    expect(field(contract, "created_at")).toMatchObject({ type: "timestamp", format: "unix_ms" });
  });

  it("sets an enum only when the sample is the whole file, and says so either way", async () => {
    const csv = `id,status\n${Array.from({ length: 30 }, (_, i) => `${i},${["new", "paid"][i % 2]}`).join("\n")}\n`;

    const whole = await infer("a.csv", csv);
    const part = await infer("b.csv", csv, 120);

    expect(field(whole.contract, "status")).toMatchObject({ enum: ["new", "paid"] });
    expect(field(part.contract, "status")?.enum).toBeUndefined();
    expect(part.notes.join("\n")).toMatch(
      /enum candidate: new, paid .*not set: the sample is not the whole file/,
    );
    expect(part.notes.join("\n")).toMatch(/sample: \d+ records \(the first 120 bytes/);
  });

  it("proposes a key of a group and a date when no column is unique, else append", async () => {
    const keyed = await infer("k.csv", "symbol,date,price\nA,2000-01-01,1\nB,2000-01-01,2\nA,2000-02-01,3\n");
    const none = await infer("n.csv", "name,price\nx,1\nx,1\n");

    expect(keyed.contract.primaryKey).toEqual(["symbol", "date"]);
    expect(none.contract.primaryKey).toBeUndefined();
    expect(none.contract.load).toEqual({ mode: "append" });
    expect(none.notes.at(-1)).toMatch(/^no primary key: .*load mode append$/);
  });

  it("reads the records of a JSON document at their path, nested fields by dot path, arrays as json", async () => {
    const features = [1, 2, 3].map((i) => ({
      type: "Feature",
      properties: { mag: i / 2, type: "earthquake", time: 1517966773840 + i, felt: i === 2 ? null : i },
      geometry: { type: "Point", coordinates: [i, i] },
      id: `ci${i}`,
    }));
    const { contract } = await infer(
      "quakes.json",
      JSON.stringify({ type: "FeatureCollection", metadata: { count: 3 }, features }),
    );

    expect(contract.format).toEqual({ type: "json", records: "features" });
    expect(contract.primaryKey).toEqual(["id"]);
    expect(contract.fields).toEqual([
      { name: "type", type: "string", required: true },
      { name: "mag", source: "properties.mag", type: "decimal", scale: 1, required: true },
      { name: "properties_type", source: "properties.type", type: "string", required: true },
      { name: "time", source: "properties.time", type: "timestamp", format: "unix_ms", required: true },
      { name: "felt", source: "properties.felt", type: "integer" },
      { name: "geometry_type", source: "geometry.type", type: "string", required: true },
      { name: "coordinates", source: "geometry.coordinates", type: "json", required: true },
      { name: "id", type: "string", required: true },
    ]);
  });

  it("reads NDJSON and gzip content, and a JSON array cut off by the sample", async () => {
    const lines = `{"a":1,"b":"x"}\n{"a":2,"b":null}\n`;
    const ndjson = await infer("e.ndjson.gz", gzipSync(lines));
    const array = await infer("arr.json", JSON.stringify([{ a: 1 }, { a: 2 }, { a: 3 }]), 18);

    expect(ndjson.contract).toMatchObject({ name: "e", format: { type: "ndjson" } });
    expect(ndjson.notes).toContain(
      "gzip: detected by its content and read decompressed, as the pipeline does",
    );
    expect(array.contract.format).toEqual({ type: "json" });
    expect(array.notes).toContain("sample: 2 records (the first 18 bytes; pass --sample-bytes to read more)");
  });

  it("types Parquet columns by the values staging reads (exact decimals, ISO dates and times), rows bounded by the sample bytes", async () => {
    // prepare
    const rows = Array.from({ length: 1000 }, (_, i) => i);
    const file = parquetWriteBuffer({
      columnData: [
        { name: "id", data: rows.map((i) => BigInt(i + 1)) },
        { name: "day", data: rows.map((i) => 19_000 + (i % 28)) },
        { name: "amount", data: rows.map((i) => i + 0.5) },
        { name: "at", data: rows.map((i) => BigInt(i) * 1_000_000n + 1n) },
      ],
      rowGroupSize: 100,
      schema: [
        { name: "root", num_children: 4 },
        { name: "id", type: "INT64", repetition_type: "REQUIRED" },
        { name: "day", type: "INT32", converted_type: "DATE", repetition_type: "REQUIRED" },
        { name: "amount", type: "INT32", converted_type: "DECIMAL", scale: 2, precision: 9 },
        { name: "at", type: "INT64", converted_type: "TIMESTAMP_MICROS", repetition_type: "REQUIRED" },
      ],
    });

    // act
    const whole = await infer("ledger.parquet", Buffer.from(file));
    const part = await infer("ledger.parquet", Buffer.from(file), 2000);

    // assert
    expect(whole.contract).toMatchObject({ format: { type: "parquet" }, primaryKey: ["id"] });
    expect(whole.contract.fields).toEqual([
      { name: "id", type: "integer", required: true },
      { name: "day", type: "date", required: true },
      { name: "amount", type: "decimal", scale: 2, required: true },
      { name: "at", type: "timestamp", required: true },
    ]);
    expect(whole.notes).toContain("format: parquet (1000 rows in 10 row group(s))");
    expect(whole.sample).toEqual({ rows: 1000, wholeFile: true });
    expect(part.sample.wholeFile).toBe(false);
    expect(part.sample.rows).toBeGreaterThan(0);
    expect(part.sample.rows).toBeLessThan(1000);
    expect(part.notes.join("\n")).toMatch(/sample: \d+ records \(the first 2000 bytes/);
  });

  it("refuses a file the pipeline would quarantine whatever its contract, naming why", async () => {
    // act
    const inferring = infer("latin1.csv", Buffer.from("name\ncaf\xe9\n", "latin1"));

    // assert
    await expect(inferring).rejects.toMatchObject({
      exitCode: EXIT.attention,
      message: expect.stringContaining("(not-utf8)"),
    });
  });
});

describe("identifierOf", () => {
  it.each([
    ["Beak Length (mm)", "beak_length_mm"],
    ["magType", "mag_type"],
    ["Miles_per_Gallon", "miles_per_gallon"],
    ["2019 total", "c_2019_total"],
    ["Café", "cafe"],
    ["_sluice_line", "sluice_line"],
  ])("%s → %s", (text, name) => {
    expect(identifierOf(text)).toBe(name);
  });
});
