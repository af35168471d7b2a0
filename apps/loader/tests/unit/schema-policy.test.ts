import type { DatasetContract, DatasetContractInput } from "@sluice/core";
import {
  ensureTargetTable,
  qualifiedName,
  SchemaMismatchError,
  splitTableName,
  type TargetTable,
} from "../../src";
import { RUN_ID_SETTING } from "../../src/lineage";
import { useLoadFixture } from "../support/load-fixture";
import { ordersContract } from "../support/staging";
import { targetKinds } from "../support/targets";

type Fields = NonNullable<DatasetContractInput["fields"]>;

/** An event-log contract: no natural key, so append with lineage by default. */
function eventsContract(table: string, fields: Fields, overrides: Partial<DatasetContractInput> = {}) {
  return ordersContract(table, { name: "events", fields, primaryKey: undefined, ...overrides });
}

const EVENT_FIELDS: Fields = [
  { name: "happened_at", type: "timestamp", required: true },
  { name: "severity", type: "integer" },
  { name: "summary", type: "string", maxLength: 20 },
];

/** How the target table is created and follows a contract change under `load.schema` evolve / freeze. */
describe.each(targetKinds("schema_policy"))("ensureTargetTable against $name", (kind) => {
  const fx = useLoadFixture(kind);

  function ensure(contract: DatasetContract): Promise<TargetTable> {
    return fx.target.transaction((session) => ensureTargetTable(session, contract));
  }

  async function columnsOf(table: string): Promise<Record<string, string>> {
    const result = await fx.target.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [qualifiedName(splitTableName(table, "public"))],
    );
    return Object.fromEntries(result.rows.map((row) => [row.name, row.type]));
  }

  async function indexesOf(table: string): Promise<string[]> {
    const result = await fx.target.query<{ definition: string }>(
      "SELECT pg_get_indexdef(indexrelid) AS definition FROM pg_index WHERE indrelid = to_regclass($1)",
      [qualifiedName(splitTableName(table, "public"))],
    );
    return result.rows.map((row) => row.definition);
  }

  async function insert(table: string, values: string): Promise<void> {
    await fx.target.query(`INSERT INTO ${qualifiedName(splitTableName(table, "public"))} VALUES ${values}`);
  }

  /** The run id a row of an events table inserted during a load of `runId` gets (the loader sets it for the transaction). */
  async function stampedRunId(table: string, runId: string): Promise<unknown> {
    return fx.target.transaction(async (session) => {
      await session.query("SELECT set_config($1, $2, true)", [RUN_ID_SETTING, runId]);
      const name = qualifiedName(splitTableName(table, "public"));
      await session.query(`DELETE FROM ${name}`);
      await session.query(`INSERT INTO ${name} (happened_at) VALUES (now())`);
      return (await session.query<{ run: unknown }>(`SELECT _sluice_run_id AS run FROM ${name}`)).rows[0]
        ?.run;
    });
  }

  test("a contract without a primary key gets a table without one, with lineage columns and an index on the run id", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table, [
      ...EVENT_FIELDS,
      { name: "damage", type: "decimal", precision: 12, scale: 2 },
    ]);

    const created = await ensure(contract);

    expect(created).toMatchObject({ created: true, addedColumns: [], widenedColumns: [] });
    expect(await columnsOf(table)).toEqual({
      happened_at: "timestamp with time zone",
      severity: "bigint",
      summary: "character varying(20)",
      damage: "numeric(12,2)",
      _sluice_run_id: "text",
      _sluice_line: "bigint",
    });
    const indexes = await indexesOf(table);
    expect(indexes).toHaveLength(1);
    expect(indexes[0]).toMatch(/USING btree \(_sluice_run_id\)/);
    expect(await stampedRunId(table, "r-loading")).toBe("r-loading");
  });

  test("a merge contract keeps its primary key and has no lineage columns unless it asks for them", async () => {
    const plain = fx.freshTable();
    const traced = fx.freshTable();

    await ensure(ordersContract(plain));
    await ensure(ordersContract(traced, { load: { lineage: true } }));

    expect(Object.keys(await columnsOf(plain))).not.toContain("_sluice_run_id");
    expect(Object.keys(await columnsOf(traced))).toEqual(
      expect.arrayContaining(["_sluice_run_id", "_sluice_line"]),
    );
    expect(await indexesOf(traced)).toEqual([
      expect.stringMatching(/UNIQUE INDEX .* \(order_id\)/),
      expect.stringMatching(/\(_sluice_run_id\)/),
    ]);
  });

  test("evolve widens integer to decimal, raises a max length and adds an optional field, keeping the rows", async () => {
    const table = fx.freshTable("events");
    await ensure(eventsContract(table, EVENT_FIELDS));
    await insert(table, "(now(), 7, 'short', 'run-1', 1)");
    const changed = eventsContract(table, [
      { name: "happened_at", type: "timestamp", required: true },
      { name: "severity", type: "decimal", precision: 6, scale: 2 },
      { name: "summary", type: "string", maxLength: 200 },
      { name: "region", type: "string" },
    ]);

    const evolved = await ensure(changed);

    expect(evolved.addedColumns).toEqual(["region"]);
    expect(evolved.widenedColumns).toEqual([
      { column: "severity", from: "bigint", to: "numeric(6,2)" },
      { column: "summary", from: "character varying(20)", to: "character varying(200)" },
    ]);
    expect(await columnsOf(table)).toMatchObject({
      severity: "numeric(6,2)",
      summary: "character varying(200)",
      region: "text",
    });
    const rows = await fx.rowsOf(table);
    expect(rows.map((row) => [String(row.severity), row.summary, row.region])).toEqual([
      ["7.00", "short", null],
    ]);
    expect(await ensure(changed)).toMatchObject({ addedColumns: [], widenedColumns: [] });
  });

  test("evolve adds the lineage columns and their index when lineage is switched on for an existing table", async () => {
    const table = fx.freshTable();
    await ensure(ordersContract(table));

    const evolved = await ensure(ordersContract(table, { load: { lineage: true } }));

    expect(evolved.addedColumns).toEqual(["_sluice_run_id", "_sluice_line"]);
    expect((await indexesOf(table)).some((index) => /\(_sluice_run_id\)/.test(index))).toBe(true);
  });

  test("a lineage run id column without its default gets it under evolve and is refused under freeze", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table, EVENT_FIELDS);
    await ensure(contract);
    await fx.target.query(
      `ALTER TABLE ${qualifiedName(splitTableName(table, "public"))} ALTER COLUMN _sluice_run_id DROP DEFAULT`,
    );

    const frozen = await ensure(eventsContract(table, EVENT_FIELDS, { load: { schema: "freeze" } })).catch(
      (e: unknown) => e,
    );
    await ensure(contract);

    expect(frozen).toMatchObject({
      kind: "column-default",
      column: "_sluice_run_id",
      tableHas: "no default",
    });
    expect(await stampedRunId(table, "r-after")).toBe("r-after");
  });

  test("freeze refuses any change, naming table, column and both types, and leaves the table as it was", async () => {
    const table = fx.freshTable("events");
    await ensure(eventsContract(table, EVENT_FIELDS));
    const before = await columnsOf(table);
    const frozen = (fields: Fields) => eventsContract(table, fields, { load: { schema: "freeze" } });
    const [happened, severity, summary] = EVENT_FIELDS as [Fields[0], Fields[0], Fields[0]];

    const added = await ensure(frozen([...EVENT_FIELDS, { name: "region", type: "string" }])).catch(
      (e: unknown) => e,
    );
    const widened = await ensure(frozen([happened, { name: "severity", type: "decimal" }, summary])).catch(
      (e: unknown) => e,
    );
    const longer = await ensure(frozen([happened, severity, { ...summary, maxLength: 40 }])).catch(
      (e: unknown) => e,
    );
    const same = await ensure(frozen(EVENT_FIELDS));

    expect(added).toBeInstanceOf(SchemaMismatchError);
    expect(added).toMatchObject({ kind: "column-missing", column: "region", table: `public.${table}` });
    expect((added as Error).message).toMatch(/schema policy freeze/);
    expect(widened).toMatchObject({
      kind: "type-changed",
      column: "severity",
      tableHas: "bigint",
      contractNeeds: "numeric",
    });
    expect((widened as Error).message).toMatch(
      new RegExp(
        `table public\\.${table} column severity is bigint but contract events v1 declares decimal \\(numeric\\); schema policy freeze`,
      ),
    );
    expect(longer).toMatchObject({
      column: "summary",
      tableHas: "character varying(20)",
      contractNeeds: "character varying(40)",
    });
    expect(same).toMatchObject({ addedColumns: [], widenedColumns: [] });
    expect(await columnsOf(table)).toEqual(before);
  });

  test("a text column takes a field with maxLength as it is, under freeze too: nothing to change", async () => {
    const table = fx.freshTable("events");
    await ensure(
      eventsContract(
        table,
        EVENT_FIELDS.map((field) => ({ ...field, maxLength: undefined })),
      ),
    );

    const kept = await ensure(eventsContract(table, EVENT_FIELDS, { load: { schema: "freeze" } }));

    expect(kept).toMatchObject({ addedColumns: [], widenedColumns: [] });
    expect((await columnsOf(table)).summary).toBe("text");
  });

  test("a limit of the table's own (varchar(n), numeric(p,s)) stays when the contract states none", async () => {
    const table = fx.freshTable("events");
    await ensure(
      eventsContract(table, [...EVENT_FIELDS, { name: "damage", type: "decimal", precision: 8, scale: 2 }]),
    );

    const kept = await ensure(
      eventsContract(table, [
        ...EVENT_FIELDS.map((field) => ({ ...field, maxLength: undefined })),
        { name: "damage", type: "decimal", scale: 2 },
      ]),
    );

    expect(kept).toMatchObject({ addedColumns: [], widenedColumns: [] });
    expect(await columnsOf(table)).toMatchObject({
      summary: "character varying(20)",
      damage: "numeric(8,2)",
    });
  });

  test("conversions that could change existing values are refused under evolve too", async () => {
    const table = fx.freshTable("events");
    const withDamage = (precision: number, scale: number) =>
      eventsContract(table, [...EVENT_FIELDS, { name: "damage", type: "decimal", precision, scale }]);
    await ensure(withDamage(12, 2));
    await insert(table, "(now(), 12345, 'big', 1234567.25, 'run-1', 1)");

    const fewerDecimals = await ensure(withDamage(12, 1)).catch((e: unknown) => e);
    const toText = await ensure(
      eventsContract(table, [
        ...EVENT_FIELDS.slice(0, 1),
        { name: "severity", type: "string" },
        ...EVENT_FIELDS.slice(2),
      ]),
    ).catch((e: unknown) => e);
    const tooFewDigits = await ensure(
      eventsContract(table, [
        ...EVENT_FIELDS.slice(0, 1),
        { name: "severity", type: "decimal", precision: 5, scale: 2 },
        ...EVENT_FIELDS.slice(2),
        { name: "damage", type: "decimal", precision: 12, scale: 2 },
      ]),
    ).catch((e: unknown) => e);

    expect(fewerDecimals).toMatchObject({
      kind: "type-changed",
      column: "damage",
      tableHas: "numeric(12,2)",
    });
    expect(toText).toMatchObject({
      kind: "type-changed",
      column: "severity",
      tableHas: "bigint",
      contractNeeds: "text",
    });
    expect(tooFewDigits).toBeInstanceOf(SchemaMismatchError);
    expect(tooFewDigits).toMatchObject({
      column: "severity",
      tableHas: "bigint",
      contractNeeds: "numeric(5,2)",
    });
    expect((await columnsOf(table)).severity).toBe("bigint");
  });
});
