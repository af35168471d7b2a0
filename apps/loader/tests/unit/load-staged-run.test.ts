import {
  createMemoryLogger,
  type DatasetContract,
  DatasetRegistry,
  dispositionOf,
  type LoadTarget,
  parseDatasetContract,
} from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import {
  ChecksumMismatchError,
  type LoaderDeps,
  ledgerTableOf,
  loadStagedRun,
  qualifiedName,
  readLedgerEntry,
  SchemaMismatchError,
  StagedRunMismatchError,
  splitTableName,
} from "../../src";
import { orderRow, ordersContract, STAGING_BUCKET, stageRun } from "../support/staging";
import { CrashAfterCopyTarget, InjectedCrash, type OpenTarget, targetKinds } from "../support/targets";

const ledger = ledgerTableOf("sluice");

describe.each(targetKinds("load_staged_run"))("loadStagedRun against $name", (kind) => {
  let opened: OpenTarget;
  let target: LoadTarget;
  let tableSeq = 0;

  beforeAll(async () => {
    opened = await kind.open();
    target = opened.target;
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  function setup(contract: DatasetContract, loadTarget: LoadTarget = target) {
    const store = new MemoryObjectStore();
    const publisher = new MemoryEventPublisher();
    const logger = createMemoryLogger("loader");
    const deps: LoaderDeps = {
      store,
      target: loadTarget,
      registry: new DatasetRegistry([contract]),
      publisher,
      logger,
    };
    return { store, publisher, logger, deps };
  }

  function freshTable(prefix = "orders"): string {
    tableSeq += 1;
    return `${prefix}_${tableSeq}`;
  }

  async function rowsOf(table: string): Promise<Record<string, unknown>[]> {
    const name = qualifiedName(splitTableName(table, "public"));
    const result = await target.query(`SELECT *, xmin::text AS xmin FROM ${name} ORDER BY 1`);
    return result.rows;
  }

  async function tableExists(table: string): Promise<boolean> {
    const name = splitTableName(table, "public");
    const result = await target.query(
      "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
      [name.schema, name.table],
    );
    return result.rowCount > 0;
  }

  test("a first load creates the table, inserts every row, records the ledger and publishes object.loaded", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = setup(contract);
    const rows = [orderRow(1), orderRow(2, { note: null }), orderRow(3, { note: "" })];
    const event = await stageRun(store, contract, rows);

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      rowsStaged: 3,
      alreadyLoaded: false,
    });
    const loaded = await rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status, String(row.amount), row.note])).toEqual([
      ["1", "paid", "1.50", 'note, "quoted"\nline two of 1'],
      ["2", "paid", "2.50", null],
      ["3", "paid", "3.50", ""],
    ]);
    const entry = await readLedgerEntry(target.query.bind(target), ledger, event.data.runId);
    expect(entry).toMatchObject({
      status: "loaded",
      rowsStaged: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      attempts: 1,
    });
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.loaded",
      source: "sluice/loader",
      data: {
        runId: event.data.runId,
        dataset: "orders",
        inserted: 3,
        updated: 0,
        unchanged: 0,
        alreadyLoaded: false,
      },
    });
  });

  test("a redelivered event changes nothing, logs that the run is already loaded, and republishes the original counts", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, publisher, logger, deps } = setup(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    await loadStagedRun(event, deps);
    const before = await rowsOf(table);

    const again = await loadStagedRun(event, deps);

    expect(again).toMatchObject({ alreadyLoaded: true, inserted: 2, updated: 0, unchanged: 0 });
    expect(await rowsOf(table)).toEqual(before);
    expect(logger.lines.map((line) => line.message)).toContain(
      "already loaded: this delivery changed nothing",
    );
    expect(publisher.events[1]).toMatchObject({
      type: "sluice.object.loaded",
      data: { alreadyLoaded: true, inserted: 2, updated: 0, unchanged: 0 },
    });
    const entry = await readLedgerEntry(target.query.bind(target), ledger, event.data.runId);
    expect(entry).toMatchObject({ status: "loaded", inserted: 2, attempts: 2 });
  });

  test("a second file updates changed rows, inserts new ones and leaves identical rows unwritten", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
    await loadStagedRun(
      await stageRun(store, contract, [orderRow(1), orderRow(2), orderRow(3), orderRow(4)]),
      deps,
    );
    const before = new Map((await rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));
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
    const after = await rowsOf(table);
    expect(after).toHaveLength(6);
    const byId = new Map(after.map((row) => [String(row.order_id), row]));
    expect(byId.get("2")?.status).toBe("shipped");
    expect(String(byId.get("4")?.amount)).toBe("99.99");
    expect(byId.get("1")?.xmin).toBe(before.get("1"));
    expect(byId.get("3")?.xmin).toBe(before.get("3"));
    expect(byId.get("2")?.xmin).not.toBe(before.get("2"));
  });

  test("a file of new keys only is inserted without a merge, leaving the rows already there unwritten", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps, logger } = setup(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(2)]), deps);
    const before = new Map((await rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));

    const outcome = await loadStagedRun(await stageRun(store, contract, [orderRow(3), orderRow(4)]), deps);

    expect(outcome).toMatchObject({ rowsStaged: 2, inserted: 2, updated: 0, unchanged: 0 });
    expect(logger.lines.filter((line) => line.message === "loaded").map((line) => line.method)).toEqual([
      "direct-copy",
      "insert",
    ]);
    const after = new Map((await rowsOf(table)).map((row) => [String(row.order_id), row.xmin]));
    expect([...after.keys()]).toEqual(["1", "2", "3", "4"]);
    expect(after.get("1")).toBe(before.get("1"));
  });

  test("a file whose keys overlap the table falls back from the plain insert to the merge, with nothing inserted twice", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps, logger } = setup(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1), orderRow(2)]), deps);

    // The overlapping key comes last, so the plain insert has already written rows when it fails.
    const rows = [orderRow(3), orderRow(4), orderRow(2, { status: "shipped" })];
    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 1, unchanged: 0 });
    expect(logger.lines.filter((line) => line.message === "loaded").map((line) => line.method)).toEqual([
      "direct-copy",
      "merge",
    ]);
    const after = await rowsOf(table);
    expect(after.map((row) => [String(row.order_id), row.status])).toEqual([
      ["1", "paid"],
      ["2", "shipped"],
      ["3", "paid"],
      ["4", "paid"],
    ]);
  });

  test("a key repeated within one file is loaded once, its last occurrence winning", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
    const rows = [orderRow(7, { status: "new" }), orderRow(8), orderRow(7, { status: "cancelled" })];

    const outcome = await loadStagedRun(await stageRun(store, contract, rows), deps);

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 0, unchanged: 1 });
    const loaded = await rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status])).toEqual([
      ["7", "cancelled"],
      ["8", "paid"],
    ]);
  });

  test("with the direct copy into empty tables turned off, a first load merges and counts the same", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2), orderRow(1, { status: "new" })]);

    const outcome = await loadStagedRun(event, { ...deps, config: { directCopyIntoEmptyTable: false } });

    expect(outcome).toMatchObject({ rowsStaged: 3, inserted: 2, updated: 0, unchanged: 1 });
    const loaded = await rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status])).toEqual([
      ["1", "new"],
      ["2", "paid"],
    ]);
  });

  test("a crash between COPY and commit leaves nothing half-loaded, and the retry loads fully", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const rows = Array.from({ length: 500 }, (_, i) => orderRow(i + 1));
    const crashing = setup(contract, new CrashAfterCopyTarget(target));
    const event = await stageRun(crashing.store, contract, rows);

    await expect(loadStagedRun(event, crashing.deps)).rejects.toBeInstanceOf(InjectedCrash);

    expect(await tableExists(table)).toBe(false);
    const entry = await readLedgerEntry(target.query.bind(target), ledger, event.data.runId);
    expect(entry).toBeUndefined();
    expect(crashing.publisher.events).toHaveLength(0);

    const retry = await loadStagedRun(event, { ...crashing.deps, target });

    expect(retry).toMatchObject({ inserted: 500, updated: 0, unchanged: 0, alreadyLoaded: false });
    expect(await rowsOf(table)).toHaveLength(500);
    const after = await readLedgerEntry(target.query.bind(target), ledger, event.data.runId);
    expect(after).toMatchObject({ status: "loaded", inserted: 500, attempts: 1 });
  });

  test("staged rows whose SHA-256 differs from the manifest are refused and nothing is loaded", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = setup(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    const donor = new MemoryObjectStore();
    const other = await stageRun(donor, contract, [orderRow(1), orderRow(2, { amount: "0.01" })]);
    const forged = donor.bytes(STAGING_BUCKET, other.data.staged.rowsKey)!;
    await store.put(STAGING_BUCKET, event.data.staged.rowsKey, forged);

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(dispositionOf(error)).toBe("retry");
    expect((error as Error).message).toContain(event.data.staged.rowsKey);
    expect((error as Error).message).toContain("SHA-256");
    expect(await tableExists(table)).toBe(false);
    expect(await readLedgerEntry(target.query.bind(target), ledger, event.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });

  test("a manifest whose columns differ from the contract is refused for the dead-letter queue", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
    const event = await stageRun(store, contract, [orderRow(1)], {
      manifestColumns: ["order_id", "status", "customer_id", "amount", "currency", "ordered_at", "note"],
    });

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StagedRunMismatchError);
    expect(dispositionOf(error)).toBe("dead-letter");
    expect(await tableExists(table)).toBe(false);
  });

  test("a column type change is refused with a schema mismatch naming table, column and both types", async () => {
    const table = freshTable();
    await target.query(
      `CREATE TABLE ${qualifiedName(splitTableName(table, "public"))} (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount text NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, note text)`,
    );
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
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
    expect(await rowsOf(table)).toHaveLength(0);
  });

  test("a primary key change is refused with a schema mismatch", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
    await loadStagedRun(await stageRun(store, contract, [orderRow(1)]), deps);
    const rekeyed = ordersContract(table, { version: 2, primaryKey: ["order_id", "customer_id"] });
    const next = setup(rekeyed);

    const error = await loadStagedRun(await stageRun(next.store, rekeyed, [orderRow(2)]), next.deps).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(SchemaMismatchError);
    expect(error).toMatchObject({
      kind: "primary-key-changed",
      tableHas: "order_id",
      contractNeeds: "order_id, customer_id",
    });
    expect(await rowsOf(table)).toHaveLength(1);
  });

  test("a required field the table lacks is refused, while a new optional field is added as a nullable column", async () => {
    const table = freshTable();
    const contract = ordersContract(table);
    const { store, deps } = setup(contract);
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
    const withRequired = setup(required);
    const withOptional = setup(optional);

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
    const loaded = await rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.channel])).toEqual([
      ["1", null],
      ["2", "web"],
    ]);
  });

  test("reserved words and odd identifiers are quoted, never executed", async () => {
    tableSeq += 1;
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
      table: `group_${tableSeq}.order`,
    });
    const hostile: DatasetContract = {
      ...reserved,
      table: `Odd "Schema"; DROP TABLE x ${tableSeq}.Tab'le; --`,
      fields: reserved.fields.map((field, i) => ({
        ...field,
        name: [`Key "1"`, "a'b; drop", "Mixed Case"][i]!,
      })),
      primaryKey: [`Key "1"`],
    };

    for (const contract of [reserved, hostile]) {
      const { store, deps } = setup(contract);
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
      const loaded = await target.query(`SELECT * FROM ${qualifiedName(name)} ORDER BY 1`);
      expect(loaded.rows.map((row) => Object.values(row).map(String))).toEqual([
        ["1", "y", "true"],
        ["2", "null", "null"],
      ]);
    }
  });
});
