import { loadRejectsKeyOf, loadStagedRun } from "../../src";
import { feedContract, feedRow } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, STAGING_BUCKET, stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/** A key repeated within one file: `onDuplicateKey` decides which row stays; repeats are always counted. */
describe.each(targetKinds("load_duplicates"))("loadStagedRun repeated keys against $name", (kind) => {
  const fx = useLoadFixture(kind);

  const statusOf = async (table: string) => fx.valuesOf(table, ["order_id", "status"]);

  test("last (the default): the last occurrence of a key wins and every repeat is counted", async () => {
    const contract = ordersContract(fx.freshTable());
    const { store, publisher, deps } = fx.ports(contract);
    const rows = [
      orderRow(1, { status: "a" }),
      orderRow(2),
      orderRow(1, { status: "b" }),
      orderRow(1, { status: "c" }),
    ];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ inserted: 2, repeats: 2, unchanged: 2, rejected: 0 });
    expect(await statusOf(contract.table)).toEqual([
      ["1", "c"],
      ["2", "paid"],
    ]);
    expect(publisher.events[0]).toMatchObject({ data: { repeats: 2, rejected: 0 } });
  });

  test("first: the first occurrence of a key wins, also over a row already in the table", async () => {
    const contract = ordersContract(fx.freshTable(), { load: { onDuplicateKey: "first" } });
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1, { status: "old" })]), deps);
    const rows = [orderRow(1, { status: "a" }), orderRow(1, { status: "b" }), orderRow(3)];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ inserted: 1, updated: 1, repeats: 1, unchanged: 1 });
    expect(await statusOf(contract.table)).toEqual([
      ["1", "a"],
      ["3", "paid"],
    ]);
  });

  test("reject: every repeat is a rejection naming the first occurrence's line, and the first loads", async () => {
    const contract = ordersContract(fx.freshTable(), {
      load: { onDuplicateKey: "reject" },
      quarantine: { maxBadRowRatio: 0.5 },
    });
    const { store, publisher, deps } = fx.ports(contract);
    const rows = [
      orderRow(7, { status: "a" }),
      orderRow(8),
      orderRow(7, { status: "b" }),
      orderRow(7, { status: "c" }),
    ];
    const event = await stageRun(store, contract, rows, { lines: [2, 3, 5, 9] });

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ inserted: 2, repeats: 2, rejected: 2, unchanged: 0 });
    expect(await statusOf(contract.table)).toEqual([
      ["7", "a"],
      ["8", "paid"],
    ]);
    const rejects = store
      .bytes(STAGING_BUCKET, loadRejectsKeyOf(event.data))
      ?.toString("utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(rejects).toEqual([
      { line: 5, field: "order_id", reason: "duplicate key (order_id)=(7) (first at line 2)", value: "7" },
      { line: 9, field: "order_id", reason: "duplicate key (order_id)=(7) (first at line 2)", value: "7" },
    ]);
    expect(publisher.events[0]).toMatchObject({ data: { repeats: 2, rejected: 2 } });
  });

  test("reject over a run staged without line numbers names staged rows instead", async () => {
    const contract = ordersContract(fx.freshTable(), {
      load: { onDuplicateKey: "reject" },
      quarantine: { maxBadRowRatio: 0.5 },
    });
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2), orderRow(1)], {
      withoutLines: true,
    });

    await loadStagedRun(event, deps);

    const text = store.bytes(STAGING_BUCKET, loadRejectsKeyOf(event.data))?.toString("utf8") ?? "";
    expect(JSON.parse(text)).toMatchObject({
      line: 3,
      reason: expect.stringContaining("(first at staged row 1)"),
    });
  });

  test("reject beyond the quarantine ratio quarantines the file instead of loading it", async () => {
    const contract = ordersContract(fx.freshTable(), { load: { onDuplicateKey: "reject" } });
    const { store, publisher, deps } = fx.ports(contract);

    const outcome = await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(1)]), deps);

    expect(outcome).toMatchObject({ status: "quarantined" });
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.quarantined",
      data: { reason: "bad-row-ratio", firstRejections: [{ line: 4, field: "order_id" }] },
    });
    expect(await fx.tableExists(contract.table)).toBe(false);
  });

  test("with orderBy the newest occurrence wins wherever it stands in the file", async () => {
    const contract = feedContract(fx.freshTable("feed"), { orderBy: "version" });
    const { store, deps } = fx.ports(contract);
    const rows = [feedRow(1, 3), feedRow(1, 5), feedRow(1, 4), feedRow(2, 1)];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ inserted: 2, repeats: 2 });
    expect(await fx.valuesOf(contract.table, ["id", "version", "value"])).toEqual([
      ["1", "5", "v5"],
      ["2", "1", "v1"],
    ]);
  });
});
