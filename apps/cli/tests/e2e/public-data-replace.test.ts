import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunStatus } from "../../src";
import { useCliSession } from "../support/cli-session";
import { E2E_TEST_TIMEOUT_MS, testDatabases } from "../support/harness";
import {
  expectedRows,
  parseCsvRecords,
  type TextRow,
  tableRowsSql,
  valueDifferences,
  vegaDataText,
} from "../support/public-data";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

// iowa-electricity.csv: Iowa's net electricity generation by source and year, 2001-2017 (51
// rows, three sources a year). Published as a whole each year, it is a snapshot: the test cuts
// it into the snapshots "as of" a year (every row up to that year), and each load must leave
// exactly its snapshot in the table. Every column has a contract type that holds it exactly
// (`year` is written as a date, 2001-01-01).

const IOWA_FIELDS = [
  { name: "year", type: "date", required: true },
  // The file's column is named `source`, like the field: no `source` mapping needed.
  { name: "source", type: "string", required: true, enum: ["Fossil Fuels", "Nuclear Energy", "Renewables"] },
  { name: "net_generation", type: "integer", required: true, min: 0 },
];

/**
 * Replace snapshots of different keys: S3's sequencer orders only the events of one key, so
 * which snapshot is newer comes from `orderBy` (a snapshot's latest year).
 */
const IOWA_CONTRACT = {
  name: "iowa_electricity",
  version: 1,
  match: { prefix: "iowa/" },
  format: { type: "csv" },
  fields: IOWA_FIELDS,
  table: "iowa_electricity",
  load: { mode: "replace", orderBy: "year" },
};

/** The file as published in `year`: its header and every row of that year or before, as written. */
function snapshotAsOf(year: number): string {
  const [header, ...lines] = vegaDataText("iowa-electricity.csv").split("\n");
  return [header, ...lines.filter((line) => line !== "" && Number(line.slice(0, 4)) <= year), ""].join("\n");
}

describe.each(testDatabases("vega_replace"))(
  "public data loaded as replace snapshots on $kind",
  (database) => {
    const session = useCliSession(database);

    beforeEach(async () => {
      await session().writeContracts(IOWA_CONTRACT);
    });

    /** Writes the snapshot as of `year` into a folder of its own and runs it through: its run. */
    async function loadSnapshot(year: number): Promise<{ run: RunStatus; text: string }> {
      const inbox = join(session().root, `as-of-${year}`);
      await mkdir(join(inbox, "iowa"), { recursive: true });
      const text = snapshotAsOf(year);
      await writeFile(join(inbox, "iowa", `electricity-${year}.csv`), text);
      const runs = await session().runs("run", inbox);
      expect(runs).toHaveLength(1);
      return { run: runs[0]!, text };
    }

    /** The table beside the snapshot's rows (parsed by the test), and the runs its rows came from. */
    async function tableAndSnapshot(text: string) {
      const table = await session().sql<TextRow>(tableRowsSql("iowa_electricity", IOWA_FIELDS));
      const snapshot = expectedRows(IOWA_FIELDS, parseCsvRecords(text));
      const runIds = await session().sql<{ run_id: string }>(
        "SELECT DISTINCT _sluice_run_id AS run_id FROM iowa_electricity",
      );
      return { table, snapshot, runIds: runIds.map((row) => row.run_id) };
    }

    it("each snapshot replaces the table: it holds exactly the latest snapshot's rows, value for value", async () => {
      const first = await loadSnapshot(2005);
      const afterFirst = await tableAndSnapshot(first.text);

      expect(first.run).toMatchObject({ state: "loaded", load: { inserted: 15 } });
      expect(afterFirst.table).toHaveLength(15);
      expect(valueDifferences(afterFirst.table, afterFirst.snapshot)).toEqual([]);
      expect(afterFirst.runIds).toEqual([first.run.runId]);

      const second = await loadSnapshot(2017);
      const afterSecond = await tableAndSnapshot(second.text);

      expect(second.text).toBe(vegaDataText("iowa-electricity.csv"));
      expect(second.run).toMatchObject({ state: "loaded", load: { inserted: 51 } });
      expect(afterSecond.table).toHaveLength(51);
      expect(valueDifferences(afterSecond.table, afterSecond.snapshot)).toEqual([]);
      expect(afterSecond.runIds).toEqual([second.run.runId]);
      const loaded = await session().loadedEvents();
      expect(loaded.map((event) => [event.runId, event.mode, event.inserted, event.deleted])).toEqual([
        [first.run.runId, "replace", 15, 0],
        [second.run.runId, "replace", 51, 15],
      ]);
    });

    it("an older snapshot arriving late is skipped and says so; the table keeps the newer one", async () => {
      const newer = await loadSnapshot(2017);

      const late = await loadSnapshot(2011);

      const after = await tableAndSnapshot(newer.text);
      expect(after.table).toHaveLength(51);
      expect(valueDifferences(after.table, after.snapshot)).toEqual([]);
      expect(after.runIds).toEqual([newer.run.runId]);
      expect(late.run).toMatchObject({ state: "loaded", load: { inserted: 0 } });
      const lateLoad = (await session().loadedEvents()).find((event) => event.runId === late.run.runId);
      expect(lateLoad).toMatchObject({
        mode: "replace",
        inserted: 0,
        skipped: { reason: "older-snapshot", message: expect.stringContaining("iowa/electricity-2011.csv") },
      });
    });
  },
);
