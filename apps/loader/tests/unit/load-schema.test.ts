import { type DatasetContract, dispositionOf, parseDatasetContract } from "@sluice/core";
import { loadStagedRun, qualifiedName, SchemaMismatchError, splitTableName } from "../../src";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/** How a load treats the target table's schema: refused changes, added columns, quoted identifiers. */
describe.each(targetKinds("load_schema"))("loadStagedRun schema against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("a column type change is refused with a schema mismatch naming table, column and both types", async () => {
    const table = fx.freshTable();
    await fx.target.query(
      `CREATE TABLE ${qualifiedName(splitTableName(table, "public"))} (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount text NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, note text)`,
    );
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1)]);

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect(dispositionOf(error)).toBe("dead-letter");
    expect(error).toMatchObject({
      code: "schema-mismatch",
      kind: "type-changed",
      table: `public.${table}`,
      column: "amount",
      tableHas: "text",
      contractNeeds: "numeric",
    });
    expect((error as Error).message).toMatch(/amount is text .* declares decimal \(numeric\)/);
    expect(await fx.rowsOf(table)).toHaveLength(0);
  });

  test("a primary key change is refused with a schema mismatch", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1)]), deps);
    const rekeyed = ordersContract(table, { version: 2, primaryKey: ["order_id", "customer_id"] });
    const next = fx.ports(rekeyed);

    const error = await loadStagedRun(await stageRun(next.store, rekeyed, [orderRow(2)]), next.deps).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect(error).toMatchObject({
      kind: "primary-key-changed",
      tableHas: "order_id",
      contractNeeds: "order_id, customer_id",
    });
    expect(await fx.rowsOf(table)).toHaveLength(1);
  });

  test("a required field the table lacks is refused, while a new optional field is added as a nullable column", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1)]), deps);
    const baseFields = contract.fields.map(({ name, type, required }) => ({ name, type, required }));
    const required = ordersContract(table, {
      version: 2,
      fields: [...baseFields, { name: "channel", type: "string", required: true }],
    });
    const optional = ordersContract(table, {
      version: 2,
      fields: [...baseFields, { name: "channel", type: "string" }],
    });
    const withRequired = fx.ports(required);
    const withOptional = fx.ports(optional);

    const refused = await loadStagedRun(
      await stageRun(withRequired.store, required, [[...orderRow(2), "web"]]),
      withRequired.deps,
    ).catch((e: unknown) => e);
    const added = await loadStagedRun(
      await stageRun(withOptional.store, optional, [[...orderRow(2), "web"]]),
      withOptional.deps,
    );

    expect(refused).toMatchObject({ kind: "column-missing", column: "channel" });
    expect(added).toMatchObject({ inserted: 1, addedColumns: ["channel"] });
    const loaded = await fx.rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.channel])).toEqual([
      ["1", null],
      ["2", "web"],
    ]);
  });

  test("reserved words and odd identifiers are quoted, never executed", async () => {
    const seq = fx.nextTableNumber();
    const reserved = parseDatasetContract({
      name: "orders",
      version: 1,
      match: { prefix: "orders/" },
      format: { type: "csv" },
      fields: [
        { name: "select", type: "integer", required: true },
        { name: "from", type: "string" },
        { name: "user", type: "boolean" },
      ],
      primaryKey: ["select"],
      table: `group_${seq}.order`,
    });
    const hostile: DatasetContract = {
      ...reserved,
      table: `Odd "Schema"; DROP TABLE x ${seq}.Tab'le; --`,
      fields: reserved.fields.map((field, i) => ({
        ...field,
        name: [`Key "1"`, "a'b; drop", "Mixed Case"][i]!,
      })),
      primaryKey: [`Key "1"`],
    };

    for (const contract of [reserved, hostile]) {
      const { store, deps } = fx.ports(contract);
      const outcome = await loadStagedRun(
        await stageRun(store, contract, [
          ["1", "x", "true"],
          ["2", null, null],
        ]),
        deps,
      );
      expect(outcome).toMatchObject({ inserted: 2 });
      const again = await loadStagedRun(await stageRun(store, contract, [["1", "y", "true"]]), deps);
      expect(again).toMatchObject({ updated: 1 });
      const name = splitTableName(contract.table, "public");
      const loaded = await fx.target.query(`SELECT * FROM ${qualifiedName(name)} ORDER BY 1`);
      expect(loaded.rows.map((row) => Object.values(row).map(String))).toEqual([
        ["1", "y", "true"],
        ["2", "null", "null"],
      ]);
    }
  });
});
