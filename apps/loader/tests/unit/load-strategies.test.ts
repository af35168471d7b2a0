import { loadStagedRun } from "../../src";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/**
 * Which way a run's rows go in (direct COPY, plain insert, merge; see src/strategies) and what
 * each counts: inserted, updated, unchanged, and rows left unwritten.
 */
describe.each(targetKinds("load_strategies"))("loadStagedRun strategies against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("a second file updates changed rows, inserts new ones and leaves identical rows unwritten", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(
      await stageRun(store, contract, [orderRow(1), orderRow(2), orderRow(3), orderRow(4)]),
      deps,
    );
    const before = new Map((await fx.rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));
    const second = [
      orderRow(1),
      orderRow(2, { status: "shipped" }),
      orderRow(3),
      orderRow(4, { amount: "99.99" }),
      orderRow(5),
      orderRow(6),
    ];

    const outcome = await loadStagedRun(await stageRun(store, contract, second), deps);

    expect(outcome).toMatchObject({ rowsStaged: 6, inserted: 2, updated: 2, unchanged: 2 });
    const after = await fx.rowsOf(table);
    expect(after).toHaveLength(6);
    const byId = new Map(after.map((row) => [String(row.order_id), row]));
    expect(byId.get("2")?.status).toBe("shipped");
    expect(String(byId.get("4")?.amount)).toBe("99.99");
    expect(byId.get("1")?.xmin).toBe(before.get("1"));
    expect(byId.get("3")?.xmin).toBe(before.get("3"));
    expect(byId.get("2")?.xmin).not.toBe(before.get("2"));
  });

  test.each([
    ["a small file", {}, "direct-copy"],
    ["a file over directCopyIntoTableMaxBytes", { directCopyIntoTableMaxBytes: 0 }, "insert"],
  ])(
    "%s of new keys only is inserted without a merge, leaving the rows already there unwritten",
    async (_, config, method) => {
      const table = fx.freshTable();
      const contract = ordersContract(table);
      const { store, deps, logger } = fx.ports(contract);
      await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(2)]), deps);
      const before = new Map((await fx.rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));

      const outcome = await loadStagedRun(await stageRun(store, contract, [orderRow(3), orderRow(4)]), {
        ...deps,
        config,
      });

      expect(outcome).toMatchObject({ rowsStaged: 2, inserted: 2, updated: 0, unchanged: 0 });
      expect(logger.lines.filter((line) => line.message === "loaded").map((line) => line.method)).toEqual([
        "direct-copy",
        method,
      ]);
      const after = new Map((await fx.rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));
      expect([...after.keys()]).toEqual(["1", "2", "3", "4"]);
      expect(after.get("1")).toBe(before.get("1"));
    },
  );

  test("a file whose keys overlap the table falls back from the plain insert to the merge, with nothing inserted twice", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps, logger } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(2)]), deps);

    // The overlapping key comes last, so the plain insert has already written rows when it fails.
    const rows = [orderRow(3), orderRow(4), orderRow(2, { status: "shipped" })];
    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 1, unchanged: 0 });
    expect(logger.lines.filter((line) => line.message === "loaded").map((line) => line.method)).toEqual([
      "direct-copy",
      "merge",
    ]);
    const after = await fx.rowsOf(table);
    expect(after.map((row) => [String(row.order_id), row.status])).toEqual([
      ["1", "paid"],
      ["2", "shipped"],
      ["3", "paid"],
      ["4", "paid"],
    ]);
  });

  test("a key repeated within one file is loaded once, its last occurrence winning", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const rows = [orderRow(7, { status: "new" }), orderRow(8), orderRow(7, { status: "cancelled" })];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 0, unchanged: 1 });
    const loaded = await fx.rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status])).toEqual([
      ["7", "cancelled"],
      ["8", "paid"],
    ]);
  });

  test("with the direct copy into empty tables turned off, a first load merges and counts the same", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2), orderRow(1, { status: "new" })]);

    const outcome = await loadStagedRun(event, { ...deps, config: { directCopyIntoEmptyTable: false } });

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 0, unchanged: 1 });
    const loaded = await fx.rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status])).toEqual([
      ["1", "new"],
      ["2", "paid"],
    ]);
  });
});
