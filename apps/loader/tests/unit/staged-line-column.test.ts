import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { gzipSync } from "node:zlib";
import { columnsOf, encodeCsvRow } from "@sluice/core";
import { loadStagedRun } from "../../src";
import { FirstFieldRemover } from "../../src/targets/csv-records";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, stageCompressedRows } from "../support/staging";
import { targetKinds } from "../support/targets";

const ROWS: (string | null)[][] = [
  ["1", "plain", null],
  ["2", 'two\nlines, "quoted"', ""],
  ["3", "crlf\r\ninside", '""'],
  ["4", "", "12,5"],
];

async function dropped(staged: string, chunkSize: number): Promise<string> {
  const bytes = Buffer.from(staged);
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += chunkSize)
    chunks.push(Buffer.from(bytes.subarray(at, at + chunkSize)));
  const out: Buffer[] = [];
  for await (const chunk of Readable.from(chunks).pipe(new FirstFieldRemover())) out.push(chunk as Buffer);
  return Buffer.concat(out).toString("utf8");
}

describe("FirstFieldRemover on staged rows", () => {
  it("drops the leading line of every record, however the chunks cut quotes and line breaks", async () => {
    const staged = ROWS.map((row, i) => encodeCsvRow([String(i * 997 + 2), ...row])).join("");
    const expected = ROWS.map((row) => encodeCsvRow(row)).join("");

    const results = await Promise.all(
      [1, 2, 3, 5, 8, 13, staged.length].map((size) => dropped(staged, size)),
    );

    for (const result of results) expect(result).toBe(expected);
  });
});

describe.each(targetKinds("staged_line_column"))(
  "runs staged without the line column against $name",
  (kind) => {
    const fx = useLoadFixture(kind);

    test("a run staged before rows carried their line still loads, directly and through the merge", async () => {
      const table = fx.freshTable();
      const contract = ordersContract(table);
      const { store, deps } = fx.ports(contract);
      const stageOld = (rows: (string | null)[][]) => {
        const object = {
          bucket: "sluice-raw-test",
          key: `orders/${randomUUID()}.csv`,
          size: 1,
          eTag: randomUUID(),
        };
        const gz = gzipSync(rows.map((row) => encodeCsvRow(row)).join(""));
        return stageCompressedRows(store, contract, object, gz, rows.length, {
          manifestColumns: columnsOf(contract),
        });
      };

      const first = await loadStagedRun(await stageOld([orderRow(1), orderRow(2)]), deps);
      const second = await loadStagedRun(
        await stageOld([orderRow(2, { status: "shipped" }), orderRow(3)]),
        deps,
      );

      expect(first).toMatchObject({ inserted: 2, updated: 0 });
      expect(second).toMatchObject({ inserted: 1, updated: 1 });
      const rows = await fx.rowsOf(table);
      expect(rows.map((row) => [String(row.order_id), row.status])).toEqual([
        ["1", "paid"],
        ["2", "shipped"],
        ["3", "paid"],
      ]);
    });
  },
);
