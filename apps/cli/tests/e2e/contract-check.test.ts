import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { EXIT } from "../../src";
import type { DryRunReport } from "../../src/dry-run/stage-dry-run";
import {
  cliWith,
  E2E_TEST_TIMEOUT_MS,
  folderGlobals,
  tempStateDir,
  writeContracts,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

const SHIPMENTS = {
  name: "shipments",
  version: 1,
  match: { prefix: "shipments/" },
  format: { type: "csv" },
  fields: [
    { name: "shipment_id", type: "integer", required: true },
    { name: "status", type: "string", required: true, enum: ["sent", "lost"] },
    { name: "weight", type: "decimal", scale: 1 },
  ],
  primaryKey: ["shipment_id"],
  table: "shipments",
  quarantine: { maxBadRowRatio: 0.5 },
};

describe("sluice contract check", () => {
  let root: string;
  let cleanup: () => Promise<void>;
  const contracts = () => join(root, "contracts");
  const stateDir = () => join(root, "state");
  const cli = cliWith(() => folderGlobals(root, join(stateDir(), "pglite")));
  const file = (name: string) => join(root, "data", "shipments", name);

  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempStateDir());
    await writeContracts(contracts(), SHIPMENTS);
    await mkdir(join(root, "data", "shipments"), { recursive: true });
  });
  afterEach(() => cleanup());

  async function check(...args: string[]): Promise<{ code: number; report: DryRunReport; err: string }> {
    const { code, out, err } = await cli("contract", "check", ...args, "--json");
    return { code, report: JSON.parse(out) as DryRunReport, err };
  }

  it("exits 0 for a file whose every row would load, and touches no state", async () => {
    await writeFile(file("good.csv"), "shipment_id,status,weight\n1,sent,2.5\n2,lost,\n");

    const { code, report } = await check(file("good.csv"));

    expect(code).toBe(EXIT.ok);
    expect(report).toEqual({
      file: file("good.csv"),
      key: "shipments/good.csv",
      dataset: "shipments",
      rows: 2,
      wouldLoad: 2,
      rejected: 0,
      rejects: [],
    });
    expect(existsSync(stateDir())).toBe(false);
  });

  it("groups rejected rows by reason with the first examples, and exits 3", async () => {
    const rows = [
      "1,sent,1.0",
      "2,gone,1.0",
      "3,sent,1.25",
      "4,sent,2",
      "5,gone,1",
      "6,gone,1",
      "7,gone,1",
      "8,sent,x",
      "9,sent,1",
      "10,sent,1",
      "11,sent,1",
      "12,sent,1",
    ];
    await writeFile(file("some-bad.csv.gz"), gzipSync(`shipment_id,status,weight\n${rows.join("\n")}\n`));
    await writeFile(file("other.csv"), `shipment_id,status,weight\n${rows.slice(0, 4).join("\n")}\n`);

    const { code, report } = await check(file("some-bad.csv.gz"), "--dataset", "shipments");
    const text = await cli("contract", "check", file("other.csv"));

    expect(code).toBe(EXIT.attention);
    expect(report).toMatchObject({ rows: 12, wouldLoad: 6, rejected: 6 });
    expect(report.quarantine).toBeUndefined();
    expect(report.rejects).toEqual([
      {
        reason: "not one of sent, lost",
        count: 4,
        examples: [
          { line: 3, field: "status", value: "gone" },
          { line: 6, field: "status", value: "gone" },
          { line: 7, field: "status", value: "gone" },
        ],
      },
      {
        reason: "more than 1 decimal places",
        count: 1,
        examples: [{ line: 4, field: "weight", value: "1.25" }],
      },
      { reason: "not a decimal", count: 1, examples: [{ line: 9, field: "weight", value: "x" }] },
    ]);
    expect(text.code).toBe(EXIT.attention);
    expect(text.out).toContain("  rejected      2\n  quarantined   no\nrejected rows by reason:");
    expect(text.out).toContain('  1 × not one of sent, lost\n      line 3  field status  value "gone"');
  });

  it("says the file would be quarantined, and why: too many rejects, or a missing column", async () => {
    await writeFile(file("mostly-bad.csv"), "shipment_id,status\n1,x\n2,y\n3,sent\n");
    await writeFile(file("no-status.csv"), "shipment_id,weight\n1,2\n");

    const ratio = await check(file("mostly-bad.csv"));
    const missing = await check(file("no-status.csv"));

    expect(ratio.code).toBe(EXIT.attention);
    expect(ratio.report.quarantine).toEqual({
      reason: "bad-row-ratio",
      message: expect.stringContaining("2 of 3 rows rejected (66.67%), over the contract's limit of 50.00%"),
    });
    expect(ratio.report.wouldLoad).toBe(0);
    expect(missing.code).toBe(EXIT.attention);
    expect(missing.report.quarantine).toEqual({
      reason: "missing-column",
      message: expect.stringContaining("CSV header has no column for required field status"),
    });
  });

  it("checks against a contract file outside the folder; a bad one exits 2 naming every problem", async () => {
    await writeFile(file("a.csv"), "shipment_id,status\n1,sent\n");
    const draft = join(root, "draft.json");
    await writeFile(
      draft,
      JSON.stringify({ ...SHIPMENTS, name: "draft", fields: SHIPMENTS.fields.slice(0, 2) }),
    );
    const broken = join(root, "broken.json");
    await writeFile(
      broken,
      JSON.stringify({ ...SHIPMENTS, table: "Bad", fields: [{ name: "x", type: "float" }] }),
    );

    const checked = await check(file("a.csv"), "--contract", draft);
    const refused = await cli("contract", "check", file("a.csv"), "--contract", broken);
    const unclaimed = await cli("contract", "check", file("a.csv"), "--key", "elsewhere/a.csv");

    expect(checked.report).toMatchObject({ dataset: "draft", key: "shipments/a.csv", wouldLoad: 1 });
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.err).toMatch(/fields\[0\]\.type: .*; .*table: /);
    expect(refused.err).not.toMatch(/\n\s+at /);
    expect(unclaimed.code).toBe(EXIT.usage);
    expect(unclaimed.err).toContain("no contract in");
  });

  it("would load exactly the rows a run then loads", async () => {
    await writeFile(file("mixed.csv"), "shipment_id,status,weight\n1,sent,1\n2,gone,1\n3,lost,0.5\n");

    const { report } = await check(file("mixed.csv"));
    await cli("run", join(root, "data"));
    const loaded = await cli("sql", "select shipment_id from shipments order by 1", "--json");

    expect(
      JSON.parse(loaded.out).map((row: { shipment_id: string | number }) => Number(row.shipment_id)),
    ).toEqual([1, 3]);
    expect(report.wouldLoad).toBe(2);
  });
});
