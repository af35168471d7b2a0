import { LINEAGE_RUN_ID_COLUMN } from "@sluice/core";
import { createTableSql, loadStagedRun, splitTableName } from "../../src";
import { eventRow, eventsContract } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, stageRun } from "../support/staging";
import { CrashAfterCopyTarget, InjectedCrash, targetKinds } from "../support/targets";

/** `replace`: the file is a full snapshot; the table's rows become its rows in one transaction. */
describe.each(targetKinds("load_replace"))("loadStagedRun replace against $name", (kind) => {
  const fx = useLoadFixture(kind);

  const snapshots = (table: string, overrides: Parameters<typeof eventsContract>[1] = {}) =>
    eventsContract(table, { load: { mode: "replace" }, ...overrides });

  test("a snapshot replaces every row of the previous one and counts them deleted", async () => {
    const contract = snapshots(fx.freshTable("snap"));
    const { store, publisher, deps } = fx.ports(contract);
    const first = await loadStagedRun(
      await stageRun(store, contract, [eventRow(1), eventRow(2), eventRow(3)]),
      deps,
    );

    const second = await stageRun(store, contract, [eventRow(4), eventRow(5)]);
    const outcome = await loadStagedRun(second, deps);

    expect(first).toMatchObject({ mode: "replace", inserted: 3, deleted: 0 });
    expect(outcome).toMatchObject({ inserted: 2, deleted: 3 });
    expect(outcome.skipped).toBeUndefined();
    expect(publisher.events[1]).toMatchObject({ data: { mode: "replace", inserted: 2, deleted: 3 } });
    expect(await fx.valuesOf(contract.table, [LINEAGE_RUN_ID_COLUMN, "kind"])).toEqual([
      [second.data.runId, "kind-1"],
      [second.data.runId, "kind-2"],
    ]);
  });

  test("a snapshot that fails half-way leaves the previous rows whole", async () => {
    const contract = snapshots(fx.freshTable("snap"));
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [eventRow(1), eventRow(2)]), deps);
    const before = await fx.valuesOf(contract.table, ["kind", "amount"]);
    const next = await stageRun(store, contract, [eventRow(7)]);

    const error = await loadStagedRun(next, { ...deps, target: new CrashAfterCopyTarget(fx.target) }).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(InjectedCrash);
    expect(await fx.valuesOf(contract.table, ["kind", "amount"])).toEqual(before);
    expect(await fx.ledgerEntry(next.data.runId)).toBeUndefined();
  });

  test("an older version of the same object (earlier S3 sequencer) is skipped and says so", async () => {
    const contract = snapshots(fx.freshTable("snap"));
    const { store, publisher, deps } = fx.ports(contract);
    const key = "events/snapshot.csv";
    await loadStagedRun(
      await stageRun(store, contract, [eventRow(1), eventRow(2)], { key, sequencer: "0A2" }),
      deps,
    );
    const stale = await stageRun(store, contract, [eventRow(5)], { key, sequencer: "09F" });

    const outcome = await loadStagedRun(stale, deps);
    const again = await loadStagedRun(stale, deps);

    expect(outcome).toMatchObject({
      inserted: 0,
      deleted: 0,
      unchanged: 1,
      skipped: { reason: "older-snapshot" },
    });
    expect(outcome.skipped?.message).toMatch(/sequencer 09F.* older .*sequencer 0A2/);
    expect(publisher.events[1]).toMatchObject({
      data: { skipped: { reason: "older-snapshot" }, inserted: 0 },
    });
    expect(again).toMatchObject({ alreadyLoaded: true });
    expect(await fx.valuesOf(contract.table, ["kind"])).toEqual([["kind-1"], ["kind-2"]]);
    expect(await fx.ledgerEntry(stale.data.runId)).toMatchObject({
      status: "loaded",
      skipped: "older-snapshot",
    });
  });

  test("with orderBy, a snapshot whose newest row is older than the loaded one's is skipped, whatever its key", async () => {
    const contract = snapshots(fx.freshTable("snap"), { load: { mode: "replace", orderBy: "happened_at" } });
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(
      await stageRun(store, contract, [eventRow(10), eventRow(20)], { key: "events/b.csv" }),
      deps,
    );

    const older = await loadStagedRun(
      await stageRun(store, contract, [eventRow(15)], { key: "events/a.csv" }),
      deps,
    );
    const newer = await loadStagedRun(
      await stageRun(store, contract, [eventRow(21)], { key: "events/a.csv" }),
      deps,
    );

    expect(older).toMatchObject({ skipped: { reason: "older-snapshot" }, inserted: 0 });
    expect(older.skipped?.message).toMatch(/newest happened_at is .* the table's was/);
    expect(newer).toMatchObject({ inserted: 1, deleted: 2 });
    expect(await fx.valuesOf(contract.table, ["amount"])).toEqual([["21.25"]]);
  });

  test("a keyed snapshot resolves repeated keys and rejects a refused row while the rest replaces the table", async () => {
    const contract = ordersContract(fx.freshTable("snap"), {
      load: { mode: "replace" },
      quarantine: { maxBadRowRatio: 0.5 },
    });
    const name = splitTableName(contract.table, "public");
    await fx.target.query(createTableSql(contract, name));
    await fx.target.query(`ALTER TABLE ${contract.table} ADD CONSTRAINT not_void CHECK (status <> 'void')`);
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(2)]), deps);
    const rows = [
      orderRow(2, { status: "a" }),
      orderRow(2, { status: "b" }),
      orderRow(3, { status: "void" }),
      orderRow(4),
    ];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ inserted: 2, deleted: 2, repeats: 1, rejected: 1 });
    expect(await fx.valuesOf(contract.table, ["order_id", "status"])).toEqual([
      ["2", "b"],
      ["4", "paid"],
    ]);
  });

  test("replaceBy truncate empties the table with TRUNCATE and loads the same rows", async () => {
    const contract = snapshots(fx.freshTable("snap"));
    const { store, deps } = fx.ports(contract);
    const config = { replaceBy: "truncate" as const };
    await loadStagedRun(await stageRun(store, contract, [eventRow(1), eventRow(2)]), { ...deps, config });

    const outcome = await loadStagedRun(await stageRun(store, contract, [eventRow(3)]), { ...deps, config });

    expect(outcome).toMatchObject({ inserted: 1, deleted: 2 });
    expect(await fx.valuesOf(contract.table, ["kind"])).toEqual([["kind-0"]]);
  });
});
