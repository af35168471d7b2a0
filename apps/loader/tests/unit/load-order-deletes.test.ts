import { loadStagedRun, qualifiedName, splitTableName, tombstoneTableOf } from "../../src";
import { feedContract, feedRow, permutations } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { stageRun } from "../support/staging";
import { MANY_LOADS_TIMEOUT_MS, targetKinds } from "../support/targets";

const COLUMNS = ["id", "version", "op", "value"];

/**
 * Late and out-of-order files (`orderBy`) and deletes from change feeds (`deleteWhen`): an
 * older row never replaces a newer one, a delete is not undone by an older upsert arriving
 * after it, so the same files give the same table whatever order they are loaded in.
 */
describe.each(targetKinds("load_order_deletes"))(
  "loadStagedRun orderBy and deleteWhen against $name",
  (kind) => {
    const fx = useLoadFixture(kind);

    test("a late file's older rows do not replace newer ones, and are counted unchanged", async () => {
      const contract = feedContract(fx.freshTable("feed"), { orderBy: "version" });
      const { store, deps } = fx.ports(contract);
      await loadStagedRun(await stageRun(store, contract, [feedRow(1, 5), feedRow(2, 1)]), deps);

      const outcome = await loadStagedRun(
        await stageRun(store, contract, [feedRow(1, 3), feedRow(2, 2), feedRow(3, 1)]),
        deps,
      );

      expect(outcome).toMatchObject({ inserted: 1, updated: 1, unchanged: 1 });
      expect(await fx.valuesOf(contract.table, ["id", "version"])).toEqual([
        ["1", "5"],
        ["2", "2"],
        ["3", "1"],
      ]);
    });

    test("a row equal in order replaces the one there (not older), and an identical one is left unwritten", async () => {
      const contract = feedContract(fx.freshTable("feed"), { orderBy: "version" });
      const { store, deps } = fx.ports(contract);
      await loadStagedRun(await stageRun(store, contract, [feedRow(1, 5), feedRow(2, 5)]), deps);
      const changed = [...feedRow(1, 5).slice(0, 3), "corrected"];

      const outcome = await loadStagedRun(await stageRun(store, contract, [changed, feedRow(2, 5)]), deps);

      expect(outcome).toMatchObject({ updated: 1, unchanged: 1 });
      expect(await fx.valuesOf(contract.table, ["id", "value"])).toEqual([
        ["1", "corrected"],
        ["2", "v5"],
      ]);
    });

    test("a delete row removes the keyed row and is counted; a delete of an absent key changes nothing", async () => {
      const contract = feedContract(fx.freshTable("feed"), { deleteWhen: { field: "op", equals: "delete" } });
      const { store, publisher, deps } = fx.ports(contract);
      await loadStagedRun(await stageRun(store, contract, [feedRow(1, 1), feedRow(2, 1)]), deps);

      const outcome = await loadStagedRun(
        await stageRun(store, contract, [feedRow(1, 2, "delete"), feedRow(9, 2, "delete"), feedRow(3, 1)]),
        deps,
      );

      expect(outcome).toMatchObject({ inserted: 1, deleted: 1, unchanged: 1 });
      expect(publisher.events[1]).toMatchObject({ data: { deleted: 1, inserted: 1 } });
      expect(await fx.valuesOf(contract.table, ["id"])).toEqual([["2"], ["3"]]);
    });

    test("a delete older than the row there leaves the row; an upsert older than a delete does not bring the row back", async () => {
      const contract = feedContract(fx.freshTable("feed"));
      const { store, deps } = fx.ports(contract);
      await loadStagedRun(await stageRun(store, contract, [feedRow(1, 5), feedRow(2, 5)]), deps);
      await loadStagedRun(
        await stageRun(store, contract, [feedRow(1, 4, "delete"), feedRow(2, 6, "delete")]),
        deps,
      );

      const late = await loadStagedRun(
        await stageRun(store, contract, [feedRow(2, 5), feedRow(3, 1, "delete")]),
        deps,
      );
      const newer = await loadStagedRun(
        await stageRun(store, contract, [feedRow(2, 7), feedRow(3, 1)]),
        deps,
      );

      expect(late).toMatchObject({ inserted: 0, updated: 0, deleted: 0, unchanged: 2 });
      expect(newer).toMatchObject({ inserted: 1, unchanged: 1 });
      expect(await fx.valuesOf(contract.table, ["id", "version"])).toEqual([
        ["1", "5"],
        ["2", "7"],
      ]);
      const tombstones = qualifiedName(tombstoneTableOf("sluice", splitTableName(contract.table, "public")));
      const kept = await fx.target.query<{ id: string; version: string }>(
        `SELECT id::text, version::text FROM ${tombstones} ORDER BY id`,
      );
      expect(kept.rows).toEqual([{ id: "3", version: "1" }]);
    });

    test(
      "the same files applied in every order give the same table (upserts, deletes, ties, resurrections)",
      async () => {
        const files = [
          [
            feedRow(1, 1),
            feedRow(2, 1),
            feedRow(3, 1),
            feedRow(4, 2),
            feedRow(6, 5, "delete"),
            feedRow(7, 2),
          ],
          [feedRow(1, 2), feedRow(2, 3, "delete"), feedRow(5, 1), feedRow(6, 4), feedRow(7, 2, "delete")],
          [feedRow(1, 3, "delete"), feedRow(2, 2), feedRow(4, 1), feedRow(5, 2, "delete"), feedRow(6, 6)],
        ];
        const tables: (string | null)[][][] = [];

        for (const order of permutations([0, 1, 2])) {
          const contract = feedContract(fx.freshTable("feed"));
          const { store, deps } = fx.ports(contract);
          for (const file of order) await loadStagedRun(await stageRun(store, contract, files[file]!), deps);
          tables.push(await fx.valuesOf(contract.table, COLUMNS));
        }

        expect(tables[0]).toEqual([
          ["3", "1", "upsert", "v1"],
          ["4", "2", "upsert", "v2"],
          ["6", "6", "upsert", "v6"],
        ]);
        for (const table of tables) expect(table).toEqual(tables[0]);
      },
      MANY_LOADS_TIMEOUT_MS,
    );

    test(
      "the same files without deletes give the same table in every order, with orderBy alone",
      async () => {
        const files = [
          [feedRow(1, 1), feedRow(2, 9), feedRow(3, 2)],
          [feedRow(1, 4), feedRow(2, 3)],
          [feedRow(1, 2), feedRow(3, 5), feedRow(4, 1)],
        ];
        const tables: (string | null)[][][] = [];

        for (const order of permutations([0, 1, 2])) {
          const contract = feedContract(fx.freshTable("feed"), { orderBy: "version" });
          const { store, deps } = fx.ports(contract);
          for (const file of order) await loadStagedRun(await stageRun(store, contract, files[file]!), deps);
          tables.push(await fx.valuesOf(contract.table, ["id", "version"]));
        }

        expect(tables[0]).toEqual([
          ["1", "4"],
          ["2", "9"],
          ["3", "5"],
          ["4", "1"],
        ]);
        for (const table of tables) expect(table).toEqual(tables[0]);
      },
      MANY_LOADS_TIMEOUT_MS,
    );
  },
);
