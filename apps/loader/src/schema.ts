import { type DatasetContract, LINEAGE_RUN_ID_COLUMN, type SqlSession } from "@sluice/core";
import { formatColumnType } from "./column-types";
import { SchemaMismatchError } from "./errors";
import {
  type ExpectedColumn,
  expectedColumns,
  planSchemaChanges,
  type SchemaChanges,
  type TableColumn,
  type WidenedColumn,
} from "./schema-plan";
import { displayName, identList, qualifiedName, quoteIdent, splitTableName, type TableName } from "./sql";

export { columnTypeOf } from "./column-types";
export type { WidenedColumn } from "./schema-plan";

/**
 * Key of the transaction-scoped advisory lock every Sluice DDL statement (creating the ledger,
 * a schema or a table, changing a table's columns) runs under, so two loads cannot race to
 * create or change the same object. Only loads that find something to create or change take it;
 * ordinary loads never wait on it.
 */
export const DDL_LOCK_KEY = 0x51_1c_e0_01;

/** SQLSTATE of a value out of a numeric type's range (an `ALTER COLUMN … TYPE numeric(p,s)`). */
const NUMERIC_VALUE_OUT_OF_RANGE = "22003";

/** The target table of a contract, resolved against the session's schema. */
export interface TargetTable {
  name: TableName;
  /** Columns added to an existing table by this load (optional fields it lacked, lineage columns). */
  addedColumns: string[];
  /** Columns whose type this load widened to the contract's (schema policy `evolve`). */
  widenedColumns: WidenedColumn[];
  /** True when this load created the table. */
  created: boolean;
}

/**
 * The `CREATE TABLE` statement of a contract's table: typed columns (see `columnTypeOf`), NOT
 * NULL for required fields, the lineage columns when the load policy keeps lineage, and a
 * PRIMARY KEY only when the contract has one (append and replace tables may have none).
 */
export function createTableSql(contract: DatasetContract, name: TableName): string {
  const columns = expectedColumns(contract).map(columnDefinition);
  const key = contract.primaryKey ?? [];
  if (key.length > 0) columns.push(`PRIMARY KEY (${identList(key)})`);
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName(name)} (${columns.join(", ")})`;
}

/** The index that finds a run's rows (unload, and an append reload), on the lineage run id column. */
export function lineageIndexSql(name: TableName): string {
  // Unnamed: Postgres picks a name that cannot collide with another index of the schema.
  return `CREATE INDEX ON ${qualifiedName(name)} (${quoteIdent(LINEAGE_RUN_ID_COLUMN)})`;
}

function columnDefinition(column: ExpectedColumn): string {
  const defaultClause = column.default === undefined ? "" : ` DEFAULT ${column.default}`;
  return `${quoteIdent(column.name)} ${formatColumnType(column.type)}${defaultClause}${column.notNull ? " NOT NULL" : ""}`;
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

/** The columns of a table (none when it does not exist), from the catalogue. */
export async function readTableColumns(
  session: Pick<SqlSession, "query">,
  name: TableName,
): Promise<TableColumn[]> {
  return (await readCatalogueTable(session, name)).columns;
}

/** A table as the catalogue describes it: its name resolved, its columns and its primary key. */
interface CatalogueTable {
  name: TableName;
  /** In column order; none when the table does not exist. */
  columns: TableColumn[];
  /** The primary key's columns in key order; none without a primary key. */
  primaryKey: string[];
}

/** A column of the table read, with its place in the primary key (`null`: not in it). */
interface ColumnRow {
  schema: string;
  name: string;
  type: string;
  not_null: boolean;
  has_default: boolean;
  key_position: number | null;
}

type CatalogueRow = ColumnRow | (Pick<ColumnRow, "schema"> & { name: null; key_position: null });

/**
 * Reads a table's columns and primary key in one statement. A `name` without a schema is
 * resolved against the session's `current_schema()` (`public` when it has none), as
 * {@link splitTableName} would with it, by the same statement.
 */
async function readCatalogueTable(
  session: Pick<SqlSession, "query">,
  name: { schema: string | null; table: string },
): Promise<CatalogueTable> {
  const result = await session.query<CatalogueRow>(
    `SELECT n.schema, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
            (a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '') AS has_default,
            array_position(i.indkey::int2[], a.attnum) AS key_position
       FROM (SELECT coalesce($1::text, current_schema(), 'public') AS schema) n
       LEFT JOIN pg_attribute a
              ON a.attrelid = to_regclass(format('%I.%I', n.schema, $2::text)) AND a.attnum > 0 AND NOT a.attisdropped
       LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      ORDER BY a.attnum`,
    [name.schema, name.table],
  );
  // A missing table is one row of the resolved schema alone (the LEFT JOIN found no column).
  const columns = result.rows.filter((row): row is ColumnRow => row.name !== null);
  const key = columns.filter((row) => row.key_position !== null);
  key.sort((a, b) => Number(a.key_position) - Number(b.key_position));
  return {
    name: { schema: result.rows[0]?.schema ?? "public", table: name.table },
    columns: columns.map((row) => ({
      name: row.name,
      type: row.type,
      notNull: row.not_null,
      hasDefault: row.has_default,
    })),
    primaryKey: key.map((row) => row.name),
  };
}

/**
 * Makes sure the contract's table exists and can take the contract's rows:
 * - missing: created from the contract (schema too; see {@link createTableSql}), with an index
 *   on the lineage run id when the load policy keeps lineage;
 * - exists: compared with the catalogue ({@link planSchemaChanges}); under schema policy
 *   `evolve` missing optional fields and lineage columns are added and types widened, under
 *   `freeze` any change is refused. A refusal is a {@link SchemaMismatchError} naming table,
 *   column and both types. When the contract has a primary key, the table must have the same one.
 */
export async function ensureTargetTable(
  session: SqlSession,
  contract: DatasetContract,
): Promise<TargetTable> {
  let found = await readCatalogueTable(session, splitTableName(contract.table, null));
  const { name } = found;
  const table = displayName(name);
  let changes = found.columns.length === 0 ? undefined : planSchemaChanges(contract, table, found.columns);
  if (!changes || changes.add.length + changes.widen.length + changes.setDefault.length > 0) {
    // Decide again under the lock: a concurrent load may have created or changed the table.
    await lockDdl(session);
    found = await readCatalogueTable(session, name);
    if (found.columns.length === 0) {
      await ensureSchema(session, name.schema);
      await session.query(createTableSql(contract, name));
      if (contract.load.lineage) await session.query(lineageIndexSql(name));
      return { name, addedColumns: [], widenedColumns: [], created: true };
    }
    changes = planSchemaChanges(contract, table, found.columns);
    await applyChanges(session, name, changes);
  }
  checkPrimaryKey(contract, table, found.primaryKey);
  return {
    name,
    addedColumns: changes.add.map((column) => column.name),
    widenedColumns: changes.widen.map(({ column, from, to }) => ({ column, from, to })),
    created: false,
  };
}

async function applyChanges(session: SqlSession, name: TableName, changes: SchemaChanges): Promise<void> {
  const table = qualifiedName(name);
  if (changes.add.length > 0) {
    const clauses = changes.add.map(
      (column) => `ADD COLUMN IF NOT EXISTS ${columnDefinition({ ...column, notNull: false })}`,
    );
    await session.query(`ALTER TABLE ${table} ${clauses.join(", ")}`);
    if (changes.add.some((column) => column.name === LINEAGE_RUN_ID_COLUMN))
      await session.query(lineageIndexSql(name));
  }
  for (const column of changes.setDefault)
    await session.query(
      `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT ${column.default}`,
    );
  for (const widened of changes.widen) {
    try {
      await session.query(
        `ALTER TABLE ${table} ALTER COLUMN ${quoteIdent(widened.column)} TYPE ${widened.to}`,
      );
    } catch (error) {
      if ((error as { code?: unknown }).code !== NUMERIC_VALUE_OUT_OF_RANGE) throw error;
      throw new SchemaMismatchError(
        `table ${displayName(name)} column ${widened.column} is ${widened.from} and holds values ${widened.to} cannot (more integer digits); widen the contract's precision or migrate the table`,
        {
          table: displayName(name),
          kind: "type-changed",
          column: widened.column,
          tableHas: widened.from,
          contractNeeds: widened.to,
        },
        { cause: error },
      );
    }
  }
}

/** Refuses a table whose primary key (`key`, from the catalogue) is not the contract's. */
function checkPrimaryKey(contract: DatasetContract, table: string, key: readonly string[]): void {
  const wanted = contract.primaryKey ?? [];
  if (wanted.length === 0) return;
  if (key.length === 0) {
    throw new SchemaMismatchError(
      `table ${table} has no primary key; contract ${contract.name} keys rows on (${wanted.join(", ")})`,
      { table, kind: "no-primary-key", contractNeeds: wanted.join(", "), dataset: contract.name },
    );
  }
  if (key.length !== wanted.length || !wanted.every((column) => key.includes(column))) {
    throw new SchemaMismatchError(
      `table ${table} has primary key (${key.join(", ")}) but contract ${contract.name} v${contract.version} declares (${wanted.join(", ")})`,
      {
        table,
        kind: "primary-key-changed",
        tableHas: key.join(", "),
        contractNeeds: wanted.join(", "),
        dataset: contract.name,
      },
    );
  }
}
