import { LINEAGE_RUN_ID_COLUMN, STAGED_LINE_COLUMN } from "@sluice/core";
import { loadStagedRun } from "../../src";
import { eventRow, eventsContract } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

const LINEAGE = [LINEAGE_RUN_ID_COLUMN, STAGED_LINE_COLUMN];

/** `append`: a run's rows are added exactly once, traced to the run and the raw line. */
describe.each(targetKinds("load_append"))("loadStagedRun append against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("a contract without a key appends into a table without one, each row carrying its run and raw line", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const rows = [eventRow(1), eventRow(1), eventRow(2, null)];
    const event = await stageRun(store, contract, rows, { lines: [2, 3, 5] });

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ mode: "append", rowsStaged: 3, inserted: 3, unchanged: 0, repeats: 0 });
    expect(await fx.valuesOf(table, [...LINEAGE, "kind", "amount"])).toEqual([
      [event.data.runId, "2", "kind-1", "1.25"],
      [event.data.runId, "3", "kind-1", "1.25"],
      [event.data.runId, "5", "kind-2", null],
    ]);
    const keys = await fx.target.query(
      "SELECT 1 FROM information_schema.table_constraints WHERE table_name = $1 AND constraint_type = 'PRIMARY KEY'",
      [table],
    );
    expect(keys.rowCount).toBe(0);
    expect(publisher.events[0]).toMatchObject({
      data: { mode: "append", inserted: 3, alreadyLoaded: false },
    });
  });

  test("a redelivery and a replay of the same run under the same contract add nothing", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, deps } = fx.ports(contract);
    const rows = [eventRow(1), eventRow(2)];
    const event = await stageRun(store, contract, rows, { key: "events/day-1.csv", eTag: "day1" });
    await loadStagedRun(event, deps);

    const redelivered = await loadStagedRun(event, deps);
    const replayed = await loadStagedRun(
      await stageRun(store, contract, rows, { key: "events/day-1.csv", eTag: "day1" }),
      deps,
    );

    expect(redelivered).toMatchObject({ alreadyLoaded: true, inserted: 2 });
    expect(replayed).toMatchObject({ alreadyLoaded: true, runId: event.data.runId });
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(2);
    expect(await fx.ledgerEntry(event.data.runId)).toMatchObject({ status: "loaded", attempts: 3 });
  });

  test("two deliveries of a run at the same time add its rows once: one loads, the other ends already loaded", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [eventRow(1), eventRow(2)]);

    const outcomes = await Promise.all([loadStagedRun(event, deps), loadStagedRun(event, deps)]);

    expect(outcomes.map((outcome) => outcome.alreadyLoaded).sort()).toEqual([false, true]);
    expect(outcomes.map((outcome) => outcome.inserted)).toEqual([2, 2]);
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(2);
    expect(await fx.ledgerEntry(event.data.runId)).toMatchObject({ status: "loaded", attempts: 2 });
  });

  test("a second file appends to the rows already there, and each run's rows stay traceable to it", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, deps } = fx.ports(contract);
    const first = await stageRun(store, contract, [eventRow(1), eventRow(2)]);
    const second = await stageRun(store, contract, [eventRow(1)]);

    await loadStagedRun(first, deps);
    const outcome = await loadStagedRun(second, deps);

    expect(outcome).toMatchObject({ inserted: 1, updated: 0, deleted: 0 });
    const runs = await fx.valuesOf(table, [LINEAGE_RUN_ID_COLUMN]);
    expect(runs.flat().sort()).toEqual([first.data.runId, first.data.runId, second.data.runId].sort());
  });

  test("a replay under a changed contract reloads the run: its earlier rows are replaced, never doubled", async () => {
    const table = fx.freshTable("events");
    const v1 = eventsContract(table);
    const first = fx.ports(v1);
    const rows = [eventRow(1), eventRow(2), eventRow(3)];
    const loaded = await loadStagedRun(
      await stageRun(first.store, v1, rows, { key: "events/a.csv", eTag: "a" }),
      first.deps,
    );
    const other = await loadStagedRun(await stageRun(first.store, v1, [eventRow(9)]), first.deps);
    const v2 = eventsContract(table, {
      version: 2,
      fields: [...v1.fields, { name: "note", type: "string" }],
    });
    const second = fx.ports(v2);
    const replay = await stageRun(
      second.store,
      v2,
      rows.map((row) => [...row, "again"]),
      {
        key: "events/a.csv",
        eTag: "a",
      },
    );

    const outcome = await loadStagedRun(replay, second.deps);
    const redelivered = await loadStagedRun(replay, second.deps);

    expect(replay.data.runId).toBe(loaded.runId);
    expect(outcome).toMatchObject({ reloaded: true, alreadyLoaded: false, inserted: 3, deleted: 3 });
    expect(second.publisher.events[0]).toMatchObject({
      data: { reloaded: true, previousContractVersion: 1, deleted: 3 },
    });
    expect(redelivered).toMatchObject({ alreadyLoaded: true });
    const byRun = await fx.valuesOf(table, [LINEAGE_RUN_ID_COLUMN, "note"]);
    expect(byRun).toEqual(
      [...[1, 2, 3].map(() => [loaded.runId, "again"]), [other.runId, null]].sort((a, b) =>
        String(a[0]).localeCompare(String(b[0])),
      ),
    );
    expect(await fx.ledgerEntry(loaded.runId)).toMatchObject({
      status: "loaded",
      contractVersion: 2,
      inserted: 3,
    });
  });

  test("without lineage a changed contract cannot reload an appended run: nothing changes and the event says why", async () => {
    const table = fx.freshTable("events");
    const v1 = eventsContract(table, { load: { lineage: false } });
    const first = fx.ports(v1);
    const rows = [eventRow(1), eventRow(2)];
    await loadStagedRun(
      await stageRun(first.store, v1, rows, { key: "events/b.csv", eTag: "b" }),
      first.deps,
    );
    const v2 = eventsContract(table, {
      version: 2,
      load: { lineage: false },
      quarantine: { maxBadRowRatio: 0.5 },
    });
    const second = fx.ports(v2);

    const outcome = await loadStagedRun(
      await stageRun(second.store, v2, rows, { key: "events/b.csv", eTag: "b" }),
      second.deps,
    );

    expect(outcome).toMatchObject({ inserted: 0, skipped: { reason: "no-lineage" } });
    expect(second.publisher.events[0]).toMatchObject({ data: { skipped: { reason: "no-lineage" } } });
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(2);
    expect(await fx.tableColumns(table)).not.toContain(LINEAGE_RUN_ID_COLUMN);
  });

  test("a run staged before line numbers (no _sluice_line in its manifest) still loads, its lines left unknown", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [eventRow(1), eventRow(2)], { withoutLines: true });

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ inserted: 2, alreadyLoaded: false });
    expect(await fx.valuesOf(table, [LINEAGE_RUN_ID_COLUMN, STAGED_LINE_COLUMN, "kind"])).toEqual([
      [event.data.runId, null, "kind-1"],
      [event.data.runId, null, "kind-2"],
    ]);
  });
});
