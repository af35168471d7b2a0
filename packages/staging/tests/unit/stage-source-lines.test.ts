import { gunzipSync } from "node:zlib";
import { parseDatasetContract, STAGED_LINE_COLUMN, stagingKeysOf } from "@sluice/core";
import { stageStream } from "../../src";
import { lines, RAW_BUCKET, receivedEvent, STAGING_BUCKET, testDeps } from "../../src/testing/fixtures";

/** A fixed-width contract, as the legacy wrapper stages it: from its program's CSV output. */
const contract = parseDatasetContract({
  name: "codes",
  version: 1,
  match: { prefix: "codes/" },
  format: {
    type: "fixed-width",
    columns: [
      { field: "code", start: 0, length: 2 },
      { field: "label", start: 2, length: 10 },
    ],
  },
  fields: [
    { name: "code", type: "string", required: true, pattern: "^[A-Z][0-9]$" },
    { name: "label", type: "string" },
  ],
  primaryKey: ["code"],
  table: "codes",
  route: "container",
  quarantine: { maxBadRowRatio: 1 },
});

/** CSV as the legacy program writes it: each record's line of the fixed-width original first. */
const CSV_FORMAT = { type: "csv", delimiter: ",", quote: '"', header: true } as const;

async function stageWithLines(csv: string, lineColumn: string | undefined) {
  const deps = testDeps();
  deps.store.seed(RAW_BUCKET, "codes/converted.csv", csv);
  const event = receivedEvent(contract, "codes/converted.csv", { route: "container" });
  const body = await deps.store.get(RAW_BUCKET, "codes/converted.csv");
  const outcome = await stageStream(
    {
      event,
      contract,
      body,
      format: CSV_FORMAT,
      producer: "legacy-wrapper",
      ...(lineColumn ? { lineColumn } : {}),
    },
    deps,
  );
  const keys = stagingKeysOf(contract.name, event.data.runId);
  const rejects = deps.store.bytes(STAGING_BUCKET, keys.rejectsKey)?.toString().trim() ?? "";
  return {
    outcome,
    rows: gunzipSync(deps.store.bytes(STAGING_BUCKET, keys.rowsKey) ?? Buffer.alloc(0)).toString(),
    rejects: rejects === "" ? [] : rejects.split("\n").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe("stageStream with a line column", () => {
  it("names staged rows and rejections by the original object's lines the column holds", async () => {
    // prepare: the original had a blank line 2 and a bad code on line 4
    const csv = lines("\n", `${STAGED_LINE_COLUMN},code,label`, "1,A1,café", "3,B2,crème", "4,??,brûlée");

    // act
    const { rows, rejects } = await stageWithLines(csv, STAGED_LINE_COLUMN);

    // assert
    expect(rows).toBe(lines("\n", "1,A1,café", "3,B2,crème"));
    expect(rejects).toEqual([expect.objectContaining({ line: 4, field: "code", value: "??" })]);
  });

  it("without it, names them by their lines in the CSV, the header being line 1", async () => {
    const csv = lines("\n", `${STAGED_LINE_COLUMN},code,label`, "1,A1,café", "3,B2,crème");

    const { rows } = await stageWithLines(csv, undefined);

    expect(rows).toBe(lines("\n", "2,A1,café", "3,B2,crème"));
  });

  it("rejects a record whose line column holds no line number, at its line in the CSV", async () => {
    const csv = lines("\n", `code,${STAGED_LINE_COLUMN},label`, "A1,7,ok", "B2,x,bad", "C3,0,zero");

    const { rows, rejects } = await stageWithLines(csv, STAGED_LINE_COLUMN);

    expect(rows).toBe(lines("\n", "7,A1,ok"));
    expect(rejects.map((r) => [r.line, r.field, r.value])).toEqual([
      [3, STAGED_LINE_COLUMN, "x"],
      [4, STAGED_LINE_COLUMN, "0"],
    ]);
  });
});
