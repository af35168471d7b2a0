import {
  type DatasetContract,
  FIELD_TYPES,
  type FieldSpec,
  LINEAGE_RUN_ID_COLUMN,
  type SqlSession,
} from "@sluice/core";
import { SchemaMismatchError } from "./errors";
import { lineageColumnDefinitions } from "./lineage";
import { displayName, identList, qualifiedName, quoteIdent, splitTableName, type TableName } from "./sql";

/**
 * Key of the transaction-scoped advisory lock every Sluice DDL statement (creating the ledger,
 * a schema or a table) runs under, so two first loads cannot race to create the same object.
 * Only loads that find something missing take it; ordinary loads never wait on it.
 */
export const DDL_LOCK_KEY = 0x51_1c_e0_01;

/** How `information_schema.columns.data_type` spells each Postgres type a contract uses. */
const INFORMATION_SCHEMA_TYPES: Record<string, string> = {
  text: "text",
  bigint: "bigint",
  numeric: "numeric",
  boolean: "boolean",
  date: "date",
  timestamptz: "timestamp with time zone",
};

/** The Postgres type of a contract field (core's {@link FIELD_TYPES}). */
export function columnTypeOf(field: FieldSpec): string {
  return FIELD_TYPES[field.type];
}

/** The target table of a contract, resolved against the session's schema. */
export interface TargetTable {
  name: TableName;
  /** Columns added to an existing table by this load (nullable contract fields it lacked). */
  addedColumns: string[];
  /** True when this load created the table. */
  created: boolean;
}

interface ColumnRow {
  column_name: string;
  data_type: string;
  is_nullable: "YES" | "NO";
  column_default: string | null;
}

/**
 * The `CREATE TABLE` statement of a contract's table: typed columns, NOT NULL for required, the
 * PRIMARY KEY when the contract has one, and the lineage columns when its load policy keeps lineage.
 */
export function createTableSql(contract: DatasetContract, name: TableName): string {
  const columns = contract.fields.map(
    (field) => `${quoteIdent(field.name)} ${columnTypeOf(field)}${field.required ? " NOT NULL" : ""}`,
  );
  if (contract.load.lineage) columns.push(...lineageColumnDefinitions());
  if (contract.primaryKey) columns.push(`PRIMARY KEY (${identList(contract.primaryKey)})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(name)} (${columns.join(", ")})`;
}

/** Takes the DDL advisory lock until the transaction ends. */
export async function lockDdl(session: SqlSession): Promise<void> {
  await session.query("SELECT pg_advisory_xact_lock($1)", [DDL_LOCK_KEY]);
}

/** Creates `schema` when it does not exist (without needing CREATE on the database when it does). */
export async function ensureSchema(session: SqlSession, schema: string): Promise<void> {
  const found = await session.query("SELECT 1 FROM pg_namespace WHERE nspname = $1", [schema]);
  if (found.rowCount === 0) await session.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}

async function readColumns(session: SqlSession, name: TableName): Promise<ColumnRow[]> {
  const result = await session.query<ColumnRow>(
    `SELECT column_name, data_type, is_nullable, column_default
       FROM information_schema.columns
      WHERE table_schema = $1 AND table_name = $2
      ORDER BY ordinal_position`,
    [name.schema, name.table],
  );
  return result.rows;
}

async function readPrimaryKey(session: SqlSession, name: TableName): Promise<string[]> {
  const result = await session.query<{ column_name: string }>(
    `SELECT kcu.column_name
       FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu
         ON kcu.constraint_schema = tc.constraint_schema
        AND kcu.constraint_name = tc.constraint_name
        AND kcu.table_name = tc.table_name
      WHERE tc.table_schema = $1 AND tc.table_name = $2 AND tc.constraint_type = 'PRIMARY KEY'
      ORDER BY kcu.ordinal_position`,
    [name.schema, name.table],
  );
  return result.rows.map((row) => row.column_name);
}

/**
 * Makes sure the contract's table exists and can take the contract's rows:
 * - missing: created from the contract (schema too);
 * - exists: compared with `information_schema`. A nullable contract field the table lacks is
 *   added (`ALTER TABLE … ADD COLUMN`, NULL in existing rows); a type change, a missing required
 *   column, a table column the load would leave NULL but which is NOT NULL, a NOT NULL column
 *   the contract makes optional, or another primary key throw a {@link SchemaMismatchError}
 *   naming table, column, and both types. Extra nullable table columns are left alone.
 */
export async function ensureTargetTable(
  session: SqlSession,
  contract: DatasetContract,
): Promise<TargetTable> {
  const current = await session.query<{ schema: string }>("SELECT current_schema() AS schema");
  const name = splitTableName(contract.table, current.rows[0]?.schema ?? "public");
  let columns = await readColumns(session, name);
  if (columns.length === 0) {
    await lockDdl(session);
    columns = await readColumns(session, name);
    if (columns.length === 0) {
      await ensureSchema(session, name.schema);
      await session.query(createTableSql(contract, name));
      return { name, addedColumns: [], created: true };
    }
  }
  const addedColumns = await reconcileColumns(session, contract, name, columns);
  // ALTER TABLE locks the table even when the column is there: only when one is missing.
  if (contract.load.lineage && !columns.some((column) => column.column_name === LINEAGE_RUN_ID_COLUMN)) {
    for (const definition of lineageColumnDefinitions()) {
      await session.query(`ALTER TABLE ${qualifiedName(name)} ADD COLUMN IF NOT EXISTS ${definition}`);
    }
  }
  if (contract.primaryKey) await checkPrimaryKey(session, contract, name);
  return { name, addedColumns, created: false };
}

async function reconcileColumns(
  session: SqlSession,
  contract: DatasetContract,
  name: TableName,
  columns: ColumnRow[],
): Promise<string[]> {
  const table = displayName(name);
  const byName = new Map(columns.map((column) => [column.column_name, column]));
  const missing: FieldSpec[] = [];
  for (const field of contract.fields) {
    const column = byName.get(field.name);
    const needs = columnTypeOf(field);
    if (!column) {
      if (field.required) {
        throw new SchemaMismatchError(
          `table ${table} has no column ${field.name}, which contract ${contract.name} v${contract.version} requires (${needs} NOT NULL); add it to the table (with a default for existing rows) or make the field optional`,
          {
            table,
            kind: "column-missing",
            column: field.name,
            contractNeeds: `${needs} not null`,
            dataset: contract.name,
          },
        );
      }
      missing.push(field);
      continue;
    }
    const expected = INFORMATION_SCHEMA_TYPES[needs] ?? needs;
    if (column.data_type !== expected) {
      throw new SchemaMismatchError(
        `table ${table} column ${field.name} is ${column.data_type} but contract ${contract.name} v${contract.version} declares ${field.type} (${expected}); refusing to load rather than convert existing data`,
        {
          table,
          kind: "type-changed",
          column: field.name,
          tableHas: column.data_type,
          contractNeeds: expected,
          dataset: contract.name,
        },
      );
    }
    if (column.is_nullable === "NO" && !field.required && !(contract.primaryKey ?? []).includes(field.name)) {
      throw new SchemaMismatchError(
        `table ${table} column ${field.name} is NOT NULL but contract ${contract.name} v${contract.version} makes it optional; rows without it would fail to load`,
        {
          table,
          kind: "column-not-null",
          column: field.name,
          tableHas: `${column.data_type} not null`,
          contractNeeds: `${expected} nullable`,
          dataset: contract.name,
        },
      );
    }
  }
  const fieldNames = new Set(contract.fields.map((field) => field.name));
  for (const column of columns) {
    if (
      !fieldNames.has(column.column_name) &&
      column.is_nullable === "NO" &&
      column.column_default === null
    ) {
      throw new SchemaMismatchError(
        `table ${table} column ${column.column_name} is NOT NULL without a default, but contract ${contract.name} v${contract.version} has no such field, so new rows could not be inserted`,
        {
          table,
          kind: "column-not-null",
          column: column.column_name,
          tableHas: `${column.data_type} not null`,
          contractNeeds: "absent",
          dataset: contract.name,
        },
      );
    }
  }
  for (const field of missing) {
    await session.query(
      `ALTER TABLE ${qualifiedName(name)} ADD COLUMN IF NOT EXISTS ${quoteIdent(field.name)} ${columnTypeOf(field)}`,
    );
  }
  return missing.map((field) => field.name);
}

async function checkPrimaryKey(
  session: SqlSession,
  contract: DatasetContract,
  name: TableName,
): Promise<void> {
  const table = displayName(name);
  const key = await readPrimaryKey(session, name);
  if (key.length === 0) {
    throw new SchemaMismatchError(
      `table ${table} has no primary key; contract ${contract.name} merges on (${(contract.primaryKey ?? []).join(", ")})`,
      {
        table,
        kind: "no-primary-key",
        contractNeeds: (contract.primaryKey ?? []).join(", "),
        dataset: contract.name,
      },
    );
  }
  const same =
    key.length === (contract.primaryKey ?? []).length &&
    (contract.primaryKey ?? []).every((column) => key.includes(column));
  if (!same) {
    throw new SchemaMismatchError(
      `table ${table} has primary key (${key.join(", ")}) but contract ${contract.name} v${contract.version} declares (${(contract.primaryKey ?? []).join(", ")})`,
      {
        table,
        kind: "primary-key-changed",
        tableHas: key.join(", "),
        contractNeeds: (contract.primaryKey ?? []).join(", "),
        dataset: contract.name,
      },
    );
  }
}
