import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { parseDatasetContract } from "@sluice/core";
import { parquetWriteBuffer } from "hyparquet-writer";
import { ordersContract, registry, vegaDatasetPath } from "../../src/testing/fixtures";
import { PartStager, stagedWhole } from "./parts-harness";

const orders = ordersContract({ quarantine: { maxBadRowRatio: 1 } });
const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";

/** vega-datasets' birdstrikes.csv (FAA wildlife strikes, 10,000 rows, 1.2 MB): real data, read by three of its columns. */
const birdstrikes = parseDatasetContract({
  name: "birdstrikes",
  version: 1,
  match: { prefix: "orders/" },
  format: { type: "csv", delimiter: ",", quote: '"', header: true },
  fields: [
    { name: "airport", type: "string", required: true, source: "Airport Name" },
    { name: "flown_on", type: "date", required: true, source: "Flight Date" },
    { name: "cost", type: "integer", min: 1, source: "Cost Total $" },
  ],
  table: "birdstrikes",
  quarantine: { maxBadRowRatio: 1 },
});

describe("planParts by format", () => {
  it("stages vega-datasets' birdstrikes.csv in 64 KiB parts exactly as in one pass", async () => {
    // prepare
    const content = readFileSync(vegaDatasetPath("birdstrikes.csv"));
    const whole = await stagedWhole(birdstrikes, content);
    const stager = new PartStager(birdstrikes, content, 64 * 1024);

    // act
    const plan = await stager.plan(64 * 1024, 100_000);
    const parts = await stager.staged(plan);

    // assert: 10,000 rows, the zero costs rejected (min 1), all at the whole file's lines
    expect(plan.parts.length).toBe(19);
    expect(whole.rejects.length).toBeGreaterThan(1000);
    expect(parts).toEqual(whole);
  });

  it("keeps gzip content whole, saying why, and stages it as the single pass does", async () => {
    // prepare
    const csv = `${HEADER}\n${"1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,x\n".repeat(200)}`;
    const content = gzipSync(csv);
    const stager = new PartStager(orders, content);

    // act
    const plan = await stager.plan(100, 64);

    // assert
    expect(plan.unsplitReason).toBe("gzip cannot be split by byte range");
    expect(plan.parts).toEqual([{ index: 0, start: 0, end: content.length, firstLine: 1 }]);
    expect(await stager.staged(plan)).toEqual(await stagedWhole(orders, content));
  });

  it("keeps a JSON document whole, and an object no larger than a part without a reason", async () => {
    // prepare
    const json = parseDatasetContract({ ...registry.get("customers"), format: { type: "json" } });
    const content = Buffer.from(`[${'{"customer_id":1},'.repeat(20)}{"customer_id":2}]`);

    // act
    const split = await new PartStager(json, content).plan(50, 64);
    const small = await new PartStager(json, content).plan(content.length, 64);

    // assert
    expect(split.unsplitReason).toBe("a JSON document is read whole");
    expect(split.parts).toHaveLength(1);
    expect(small).toEqual({ parts: [{ index: 0, start: 0, end: content.length, firstLine: 1 }] });
  });

  it("keeps U+FEFF at the start of a later part as data: only the object's first BOM is dropped", async () => {
    // prepare
    const header = "note,order_id,customer_id,status,amount,currency,ordered_at";
    const content = Buffer.from(
      `\uFEFF${header}\na,1,10,paid,1.00,EUR,2026-11-27T10:00:00Z\n\uFEFFb,2,10,paid,1.00,EUR,2026-11-27T10:00:00Z\n`,
    );
    const whole = await stagedWhole(orders, content);
    const stager = new PartStager(orders, content);

    // act
    const plan = await stager.plan(70, 64);
    const parts = await stager.staged(plan);

    // assert: the second record's note keeps its U+FEFF
    expect(plan.parts.map((part) => part.firstLine)).toEqual([1, 3]);
    expect(whole.rows).toContain("3,2,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,\uFEFFb\n");
    expect(parts).toEqual(whole);
  });

  it("splits Parquet by whole row groups, rows keeping their numbers in the file", async () => {
    // prepare: 7 rows in row groups of 2, one row invalid (id 0)
    const contract = parseDatasetContract({
      name: "events",
      version: 1,
      match: { prefix: "events/" },
      format: { type: "parquet" },
      fields: [
        { name: "id", type: "integer", required: true, min: 1 },
        { name: "name", type: "string" },
      ],
      table: "events",
      quarantine: { maxBadRowRatio: 1 },
    });
    const content = Buffer.from(
      parquetWriteBuffer({
        columnData: [
          { name: "id", data: [1, 2, 0, 4, 5, 6, 7], type: "INT32" },
          { name: "name", data: ["é", "中", "😀", "d", "e", "f", "g"], type: "STRING" },
        ],
        rowGroupSize: 2,
      }),
    );
    const whole = await stagedWhole(contract, content);
    const stager = new PartStager(contract, content);

    // act
    const plan = await stager.plan(1, 64);
    const parts = await stager.staged(plan);

    // assert
    expect(plan.parts.map(({ firstLine, rowGroups }) => ({ firstLine, rowGroups }))).toEqual([
      { firstLine: 1, rowGroups: { first: 0, end: 1 } },
      { firstLine: 3, rowGroups: { first: 1, end: 2 } },
      { firstLine: 5, rowGroups: { first: 2, end: 3 } },
      { firstLine: 7, rowGroups: { first: 3, end: 4 } },
    ]);
    expect(whole.rejects).toEqual([expect.objectContaining({ line: 3, field: "id" })]);
    expect(parts).toEqual(whole);
  });
});
