import type { DatasetContract } from "@sluice/core";
import { createTableSql, loadRejectsKeyOf, loadStagedRun, qualifiedName, splitTableName } from "../../src";
import { eventRow, eventsContract } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, STAGING_BUCKET, stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/**
 * Rows the table itself refuses (a constraint, a trigger, a value its column cannot hold) are
 * rejected one by one with Postgres's message and their line; the rest of the file loads.
 */
describe.each(targetKinds("load_refusals"))("loadStagedRun row refusals against $name", (kind) => {
  const fx = useLoadFixture(kind);

  /** Creates the contract's table, then runs `ddl` (with `%t` for its name) on it. */
  async function tableWith(contract: DatasetContract, ...ddl: string[]): Promise<string> {
    const name = qualifiedName(splitTableName(contract.table, "public"));
    await fx.target.query(createTableSql(contract, splitTableName(contract.table, "public")));
    for (const statement of ddl) await fx.target.query(statement.replaceAll("%t", name));
    return name;
  }

  function loadRejects(store: { bytes(bucket: string, key: string): Buffer | undefined }, key: string) {
    const text = store.bytes(STAGING_BUCKET, key)?.toString("utf8") ?? "";
    return text.trim() === ""
      ? []
      : text
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line));
  }

  test.each(["merge", "append"] as const)(
    "%s: a row violating a CHECK constraint is rejected alone, with its line and Postgres's message",
    async (mode) => {
      const contract = ordersContract(fx.freshTable(), {
        load: { mode },
        quarantine: { maxBadRowRatio: 0.5 },
      });
      await tableWith(contract, "ALTER TABLE %t ADD CONSTRAINT amount_positive CHECK (amount > 0)");
      const { store, publisher, deps } = fx.ports(contract);
      const rows = [orderRow(1), orderRow(2, { amount: "-3.00" }), orderRow(3), orderRow(4)];
      const event = await stageRun(store, contract, rows, { lines: [2, 4, 6, 8] });

      const outcome = await loadStagedRun(event, deps);

      expect(outcome).toMatchObject({ status: "loaded", inserted: 3, rejected: 1, unchanged: 0 });
      expect(await fx.valuesOf(contract.table, ["order_id"])).toEqual([["1"], ["3"], ["4"]]);
      const rejects = loadRejects(store, loadRejectsKeyOf(event.data));
      expect(rejects).toEqual([
        {
          line: 4,
          field: "amount_positive",
          reason: expect.stringMatching(/refused by the table: .*amount_positive/),
        },
      ]);
      expect(publisher.events[0]).toMatchObject({
        type: "sluice.object.loaded",
        data: { rejected: 1, loadRejectsKey: loadRejectsKeyOf(event.data) },
      });
      expect(await fx.ledgerEntry(event.data.runId)).toMatchObject({ status: "loaded", rejected: 1 });
    },
  );

  test("refused rows scattered over many chunks are each found and rejected, every other row loaded", async () => {
    const contract = eventsContract(fx.freshTable("events"), { quarantine: { maxBadRowRatio: 0.5 } });
    await tableWith(contract, "ALTER TABLE %t ADD CONSTRAINT has_amount CHECK (amount IS NOT NULL)");
    const { store, deps } = fx.ports(contract);
    const bad = new Set([1, 12, 13, 25]);
    const rows = Array.from({ length: 25 }, (_, i) => eventRow(i + 1, bad.has(i + 1) ? null : "1.00"));
    const event = await stageRun(store, contract, rows);

    const outcome = await loadStagedRun(event, { ...deps, config: { isolationChunkRows: 4 } });

    expect(outcome).toMatchObject({ inserted: 21, rejected: 4 });
    expect(loadRejects(store, loadRejectsKeyOf(event.data)).map((r: { line: number }) => r.line)).toEqual([
      2, 13, 14, 26,
    ]);
    expect(await fx.valuesOf(contract.table, ["_sluice_line"])).toHaveLength(21);
  });

  test("two rows of one file violating a unique index reject the second only", async () => {
    const contract = eventsContract(fx.freshTable("events"), { quarantine: { maxBadRowRatio: 0.5 } });
    await tableWith(contract, "CREATE UNIQUE INDEX ON %t (happened_at)");
    const { store, deps } = fx.ports(contract);
    const rows = [eventRow(1), eventRow(2), eventRow(3), [...eventRow(2).slice(0, 2), "9.99"]];

    const event = await stageRun(store, contract, rows);

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ inserted: 3, rejected: 1 });
    expect(await fx.valuesOf(contract.table, ["_sluice_line", "amount"])).toEqual([
      ["2", "1.25"],
      ["3", "2.25"],
      ["4", "3.25"],
    ]);
    expect(loadRejects(store, loadRejectsKeyOf(event.data))).toEqual([
      { line: 5, field: expect.any(String), reason: expect.stringContaining("already exists") },
    ]);
  });

  test("a row a trigger refuses (RAISE EXCEPTION) and a value beyond the column's precision are rejected alone", async () => {
    const contract = ordersContract(fx.freshTable(), { quarantine: { maxBadRowRatio: 0.5 } });
    await tableWith(
      contract,
      "ALTER TABLE %t ALTER COLUMN amount TYPE numeric(6, 2)",
      `CREATE FUNCTION ${contract.table}_guard() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         IF NEW.status = 'forbidden' THEN RAISE EXCEPTION 'status % is not allowed', NEW.status; END IF;
         RETURN NEW;
       END $$`,
      `CREATE TRIGGER guard BEFORE INSERT OR UPDATE ON %t FOR EACH ROW EXECUTE FUNCTION ${contract.table}_guard()`,
    );
    const { store, deps } = fx.ports(contract);
    const rows = [
      orderRow(1),
      orderRow(2, { status: "forbidden" }),
      orderRow(3, { amount: "123456.00" }),
      orderRow(4),
    ];
    const event = await stageRun(store, contract, rows, { lines: [2, 3, 4, 5] });

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ inserted: 2, rejected: 2 });
    expect(await fx.valuesOf(contract.table, ["order_id"])).toEqual([["1"], ["4"]]);
    expect(loadRejects(store, loadRejectsKeyOf(event.data))).toEqual([
      { line: 3, field: "(row)", reason: expect.stringContaining("status forbidden is not allowed") },
      { line: 4, field: "(row)", reason: expect.stringContaining("numeric field overflow") },
    ]);
  });

  test("more rejections than the contract's ratio roll the load back and quarantine the object", async () => {
    const contract = ordersContract(fx.freshTable(), { quarantine: { maxBadRowRatio: 0.25 } });
    await tableWith(contract, "ALTER TABLE %t ADD CONSTRAINT no_cancelled CHECK (status <> 'cancelled')");
    const { store, publisher, deps } = fx.ports(contract);
    const rows = [
      orderRow(1),
      orderRow(2, { status: "cancelled" }),
      orderRow(3),
      orderRow(4, { status: "cancelled" }),
    ];
    // One more row was rejected by the transform: 3 of 5 rows rejected is over 25%.
    const event = await stageRun(store, contract, rows, { transformRejected: 1 });

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({ status: "quarantined", rejected: 2, inserted: 0 });
    expect(await fx.valuesOf(contract.table, ["order_id"])).toEqual([]);
    expect(await fx.ledgerEntry(event.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.quarantined",
      source: "sluice/loader",
      data: {
        reason: "bad-row-ratio",
        counts: { rows: 5, staged: 2, rejected: 3 },
        firstRejections: [{ field: "no_cancelled" }, { field: "no_cancelled" }],
        rejectsKey: loadRejectsKeyOf(event.data),
      },
    });
    expect((publisher.events[0]!.data as { message: string }).message).toMatch(/3 of 5 rows rejected/);
    expect(loadRejects(store, loadRejectsKeyOf(event.data))).toHaveLength(2);
  });

  test("an error that is not the row's fault (a trigger raising a serialization failure) fails the load for a retry", async () => {
    const contract = ordersContract(fx.freshTable());
    await tableWith(
      contract,
      `CREATE FUNCTION ${contract.table}_busy() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'try again' USING ERRCODE = 'serialization_failure'; END $$`,
      `CREATE TRIGGER busy BEFORE INSERT ON %t FOR EACH ROW EXECUTE FUNCTION ${contract.table}_busy()`,
    );
    const { store, publisher, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2)]);

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toMatchObject({ code: "40001" });
    expect(await fx.ledgerEntry(event.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });
});
