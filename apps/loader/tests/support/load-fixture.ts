import {
  createMemoryLogger,
  type DatasetContract,
  DatasetRegistry,
  type LoadTarget,
  type MemoryLogger,
} from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import {
  type LedgerEntry,
  type LoaderDeps,
  ledgerTableOf,
  qualifiedName,
  quoteIdent,
  readLedgerEntry,
  splitTableName,
} from "../../src";
import { OPEN_TARGET_TIMEOUT_MS, type OpenTarget, type TargetKind } from "./targets";

/** Fresh ports for one load over a target. */
export interface LoadPorts {
  store: MemoryObjectStore;
  publisher: MemoryEventPublisher;
  logger: MemoryLogger;
  deps: LoaderDeps;
}

/** What a suite of loads against one kind of target works with. */
export interface LoadFixture {
  /** The file's target, open between `beforeAll` and `afterAll`. */
  readonly target: LoadTarget;
  /** Fresh store, publisher and logger loading `contract` into `loadTarget` (the file's by default). */
  ports(contract: DatasetContract, loadTarget?: LoadTarget): LoadPorts;
  /** A number no other table of this file uses. */
  nextTableNumber(): number;
  /** A table name no other test of this file uses. */
  freshTable(prefix?: string): string;
  /** Every row of `table`, with its `xmin` (to tell rewritten rows from untouched ones), by first column. */
  rowsOf(table: string): Promise<Record<string, unknown>[]>;
  /** The text of `columns` in every row of `table`, ordered by those columns. */
  valuesOf(table: string, columns: string[]): Promise<(string | null)[][]>;
  tableExists(table: string): Promise<boolean>;
  /** The column names of `table`, in order. */
  tableColumns(table: string): Promise<string[]>;
  /** The run's row in the `sluice` ledger, or `undefined`. */
  ledgerEntry(runId: string): Promise<LedgerEntry | undefined>;
}

const ledger = ledgerTableOf("sluice");

/**
 * Opens `kind` once for the calling `describe` (one database per test file, so files run in
 * parallel without sharing tables) and closes it after its tests; returns helpers over it.
 */
export function useLoadFixture(kind: TargetKind): LoadFixture {
  let opened: OpenTarget | undefined;
  let tableNumber = 0;

  beforeAll(async () => {
    opened = await kind.open();
  }, OPEN_TARGET_TIMEOUT_MS);

  afterAll(async () => {
    await opened?.close();
  });

  const fixture: LoadFixture = {
    get target() {
      if (!opened) throw new Error(`the ${kind.name} target is not open (outside the suite's tests?)`);
      return opened.target;
    },
    ports(contract, loadTarget = fixture.target) {
      const store = new MemoryObjectStore();
      const publisher = new MemoryEventPublisher();
      const logger = createMemoryLogger("loader");
      const registry = new DatasetRegistry([contract]);
      return { store, publisher, logger, deps: { store, target: loadTarget, registry, publisher, logger } };
    },
    nextTableNumber() {
      tableNumber += 1;
      return tableNumber;
    },
    freshTable(prefix = "orders") {
      return `${prefix}_${fixture.nextTableNumber()}`;
    },
    async rowsOf(table) {
      const name = qualifiedName(splitTableName(table, "public"));
      const result = await fixture.target.query(`SELECT *, xmin::text AS xmin FROM ${name} ORDER BY 1`);
      return result.rows;
    },
    async valuesOf(table, columns) {
      const name = qualifiedName(splitTableName(table, "public"));
      const list = columns.map((column) => `${quoteIdent(column)}::text`).join(", ");
      const order = columns.map((_, i) => String(i + 1)).join(", ");
      const result = await fixture.target.query<Record<string, string | null>>(
        `SELECT ${list} FROM ${name} ORDER BY ${order}`,
      );
      return result.rows.map((row) => Object.values(row));
    },
    async tableExists(table) {
      const name = splitTableName(table, "public");
      const result = await fixture.target.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = $2",
        [name.schema, name.table],
      );
      return result.rowCount > 0;
    },
    async tableColumns(table) {
      const name = splitTableName(table, "public");
      const result = await fixture.target.query<{ column_name: string }>(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position",
        [name.schema, name.table],
      );
      return result.rows.map((row) => row.column_name);
    },
    ledgerEntry(runId) {
      const target = fixture.target;
      return readLedgerEntry(target.query.bind(target), ledger, runId);
    },
  };
  return fixture;
}
