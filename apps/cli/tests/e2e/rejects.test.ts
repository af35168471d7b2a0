import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, type RunStatus } from "../../src";
import {
  cliWith,
  E2E_TEST_TIMEOUT_MS,
  folderGlobals,
  tempStateDir,
  testDatabases,
  writeContracts,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** Readings: a reading id repeated in one file is rejected by the loader; a bad value by the transform. */
const READINGS = {
  name: "readings",
  version: 1,
  match: { prefix: "readings/" },
  format: { type: "csv" },
  fields: [
    { name: "reading_id", type: "integer", required: true },
    { name: "value", type: "decimal", required: true, min: 0 },
  ],
  primaryKey: ["reading_id"],
  load: { mode: "merge", onDuplicateKey: "reject" },
  table: "readings",
  quarantine: { maxBadRowRatio: 0.5 },
};

interface RejectsJson {
  runId: string;
  key: string;
  state: string;
  counts: { transform: number; loader: number };
  rejections: { source: string; line: number; field: string; reason: string; value?: string }[];
}

describe.each(testDatabases("rejects"))("sluice rejects on $kind", (database) => {
  let root: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;
  const cli = cliWith(() => folderGlobals(root, databaseUrl));

  beforeEach(async () => {
    ({ dir: root, cleanup } = await tempStateDir());
    await mkdir(join(root, "state"));
    databaseUrl = await database.create(join(root, "state"));
    await writeContracts(join(root, "contracts"), READINGS);
    await mkdir(join(root, "inbox", "readings"), { recursive: true });
  });
  afterEach(async () => {
    await database.drop(databaseUrl);
    await cleanup();
  });

  it("lists the transform's and the loader's rejected rows with line, field, reason and value", async () => {
    await writeFile(
      join(root, "inbox", "readings", "day1.csv"),
      "reading_id,value\n1,10.5\n2,-3\n3,7\n1,11\n4,oops\n5,1\n",
    );
    expect((await cli("run", join(root, "inbox"))).code).toBe(EXIT.ok);

    const listed = await cli("rejects", "readings/day1.csv", "--json");
    const text = await cli("rejects", "readings/day1.csv");

    expect(listed.code).toBe(EXIT.ok);
    const [run] = JSON.parse(listed.out) as RejectsJson[];
    expect(run).toMatchObject({
      key: "readings/day1.csv",
      state: "loaded",
      counts: { transform: 2, loader: 1 },
    });
    expect(run!.rejections).toEqual([
      { source: "transform", line: 3, field: "value", reason: "less than minimum 0", value: "-3" },
      { source: "transform", line: 6, field: "value", reason: "not a decimal", value: "oops" },
      expect.objectContaining({ source: "loader", line: 5, field: "reading_id" }),
    ]);
    expect(text.out).toMatch(
      /readings\/day1\.csv {2}run r-\w+: 2 row\(s\) rejected by the transform, 1 by the loader/,
    );
    expect(text.out).toMatch(/transform +6 +value +not a decimal +oops/);
  });

  it("status of a run with rejects points at `sluice rejects`, by run id and under the table", async () => {
    await writeFile(join(root, "inbox", "readings", "day2.csv"), "reading_id,value\n1,1\n2,x\n");
    await cli("run", join(root, "inbox"));
    const { out } = await cli("status", "readings/day2.csv", "--json");
    const runId = (JSON.parse(out) as RunStatus[])[0]!.runId;

    const one = await cli("status", "readings/day2.csv");
    const all = await cli("status");
    const byRunId = await cli("rejects", runId, "--json");

    expect(one.out).toContain(`rejects    1 row(s) rejected: \`sluice rejects ${runId}\``);
    expect(all.out).toContain("1 object(s) have rejected rows: `sluice rejects 'readings/day2.csv'`");
    expect((JSON.parse(byRunId.out) as RejectsJson[]).map((r) => r.rejections.length)).toEqual([1]);
  });

  it("a run quarantined for its rows still lists them; an unknown key exits 4", async () => {
    await writeFile(join(root, "inbox", "readings", "bad.csv"), "reading_id,value\n1,a\n2,b\n3,3\n");
    expect((await cli("run", join(root, "inbox"))).code).toBe(EXIT.attention);

    const quarantined = await cli("rejects", "readings/bad.csv", "--limit", "1", "--json");
    const unknown = await cli("rejects", "readings/none.csv");

    const [run] = JSON.parse(quarantined.out) as RejectsJson[];
    expect(run).toMatchObject({ state: "quarantined", counts: { transform: 2, loader: 0 } });
    expect(run!.rejections).toEqual([
      { source: "transform", line: 2, field: "value", reason: "not a decimal", value: "a" },
    ]);
    expect(unknown.code).toBe(EXIT.notFound);
    expect(unknown.err).toContain("no run known for readings/none.csv");
  });
});
