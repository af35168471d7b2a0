import {
  type DatasetContract,
  type FieldSpec,
  LINEAGE_RUN_ID_COLUMN,
  STAGED_LINE_COLUMN,
} from "@sluice/core";
import {
  type ColumnType,
  contractColumnType,
  formatColumnType,
  parseColumnType,
  type TypeFit,
  typeFit,
} from "./column-types";
import { SchemaMismatchError, type SchemaMismatchKind } from "./errors";
import { LINEAGE_RUN_ID_DEFAULT } from "./lineage";

/** A column the contract needs in its table: one per field, plus the lineage columns. */
export interface ExpectedColumn {
  name: string;
  type: ColumnType;
  notNull: boolean;
  /** Its DEFAULT expression (the lineage run id's: the loading run, from a transaction setting). */
  default?: string;
  /** What asks for it, for messages: `decimal (numeric(12,2))`, `lineage (text)`. */
  declared: string;
  /** The field, absent for lineage columns. */
  field?: FieldSpec;
}

/** A column of the existing table, as the catalogue describes it. */
export interface TableColumn {
  name: string;
  /** `format_type` of the column, e.g. `numeric(12,2)`. */
  type: string;
  notNull: boolean;
  /** A default, identity or generated value fills it when an insert leaves it out. */
  hasDefault: boolean;
}

/** A column whose type this load changes to the contract's. */
export interface WidenedColumn {
  column: string;
  from: string;
  to: string;
}

/** What a load must do to the existing table before it can take the contract's rows. */
export interface SchemaChanges {
  /** Nullable columns to add (optional fields the table lacks, lineage columns). */
  add: ExpectedColumn[];
  /** Columns whose type becomes the contract's (`ALTER COLUMN … TYPE`). */
  widen: (WidenedColumn & { expected: ExpectedColumn })[];
  /** Columns that lack the DEFAULT they need (`ALTER COLUMN … SET DEFAULT`). */
  setDefault: ExpectedColumn[];
}

/**
 * The columns a contract's table has: its fields (NOT NULL when required), then, when the
 * contract's load policy keeps lineage, `_sluice_run_id text` (the run that wrote the row; its
 * default reads the loading run from the transaction, see `lineage.ts`) and `_sluice_line
 * bigint` (its line in the raw object), both nullable so rows that were there before lineage
 * was switched on stay valid.
 */
export function expectedColumns(contract: DatasetContract): ExpectedColumn[] {
  const columns: ExpectedColumn[] = contract.fields.map((field) => {
    const type = contractColumnType(field);
    return {
      name: field.name,
      type,
      notNull: field.required,
      declared: `${field.type} (${formatColumnType(type)})`,
      field,
    };
  });
  if (contract.load.lineage) {
    columns.push(
      {
        name: LINEAGE_RUN_ID_COLUMN,
        type: { base: "text" },
        notNull: false,
        default: LINEAGE_RUN_ID_DEFAULT,
        declared: "lineage (text)",
      },
      { name: STAGED_LINE_COLUMN, type: { base: "bigint" }, notNull: false, declared: "lineage (bigint)" },
    );
  }
  return columns;
}

/**
 * Compares the existing table with what the contract needs and says what to change, or throws.
 *
 * Under either schema policy, a {@link SchemaMismatchError} refuses: a required field the table
 * lacks; a column whose type cannot become the contract's without changing existing values; a
 * NOT NULL column the contract makes optional; a NOT NULL column without a default the contract
 * does not fill. Under `evolve` the rest is changed: missing optional fields and lineage columns
 * are added (nullable), a lineage run id column without its default gets it, types are widened (integer → decimal, a longer `character varying`,
 * more digits of `numeric`). Under `freeze` any such change is refused too. A column that
 * already takes every value the contract allows (a `text` column for a field with `maxLength`, a
 * wider `numeric`) is left as it is under both: that is no change.
 */
export function planSchemaChanges(
  contract: DatasetContract,
  table: string,
  columns: readonly TableColumn[],
): SchemaChanges {
  const refuse = refusal(contract, table);
  const byName = new Map(columns.map((column) => [column.name, column]));
  const keyColumns = new Set(contract.primaryKey ?? []);
  const changes: SchemaChanges = { add: [], widen: [], setDefault: [] };
  const expected = expectedColumns(contract);
  for (const wanted of expected) {
    const column = byName.get(wanted.name);
    const needs = formatColumnType(wanted.type);
    if (!column) {
      if (wanted.notNull)
        throw refuse(
          `table ${table} has no column ${wanted.name}, which contract ${contract.name} v${contract.version} requires (${needs} NOT NULL); add it to the table (with a default for existing rows) or make the field optional`,
          { kind: "column-missing", column: wanted.name, contractNeeds: `${needs} not null` },
        );
      changes.add.push(wanted);
      continue;
    }
    const fit: TypeFit = typeFit(parseColumnType(column.type), wanted.type);
    if (fit === "incompatible")
      throw refuse(
        `table ${table} column ${wanted.name} is ${column.type} but contract ${contract.name} v${contract.version} declares ${wanted.declared}; refusing to load rather than convert existing data`,
        { kind: "type-changed", column: wanted.name, tableHas: column.type, contractNeeds: needs },
      );
    if (fit === "widen")
      changes.widen.push({ column: wanted.name, from: column.type, to: needs, expected: wanted });
    if (wanted.default !== undefined && !column.hasDefault) changes.setDefault.push(wanted);
    if (column.notNull && !wanted.notNull && !keyColumns.has(wanted.name))
      throw refuse(
        `table ${table} column ${wanted.name} is NOT NULL but contract ${contract.name} v${contract.version} makes it optional; rows without it would fail to load`,
        {
          kind: "column-not-null",
          column: wanted.name,
          tableHas: `${column.type} not null`,
          contractNeeds: `${needs} nullable`,
        },
      );
  }
  const filled = new Set(expected.map((column) => column.name));
  for (const column of columns) {
    if (!filled.has(column.name) && column.notNull && !column.hasDefault)
      throw refuse(
        `table ${table} column ${column.name} is NOT NULL without a default, but contract ${contract.name} v${contract.version} has no such field, so new rows could not be inserted`,
        {
          kind: "column-not-null",
          column: column.name,
          tableHas: `${column.type} not null`,
          contractNeeds: "absent",
        },
      );
  }
  if (contract.load.schema === "freeze") refuseFrozenChanges(changes, refuse, table, contract);
  return changes;
}

type Refuse = (
  message: string,
  detail: { kind: SchemaMismatchKind; column?: string; tableHas?: string; contractNeeds?: string },
) => SchemaMismatchError;

function refusal(contract: DatasetContract, table: string): Refuse {
  return (message, detail) => new SchemaMismatchError(message, { table, dataset: contract.name, ...detail });
}

/** Under `schema: "freeze"` the first change the table would need is refused instead. */
function refuseFrozenChanges(
  changes: SchemaChanges,
  refuse: Refuse,
  table: string,
  contract: DatasetContract,
): void {
  const frozen = `schema policy freeze refuses to change the table: migrate it, or set the contract's load.schema to "evolve"`;
  const [added] = changes.add;
  if (added)
    throw refuse(
      `table ${table} has no column ${added.name}, which contract ${contract.name} v${contract.version} declares (${added.declared}); ${frozen}`,
      {
        kind: "column-missing",
        column: added.name,
        tableHas: "absent",
        contractNeeds: formatColumnType(added.type),
      },
    );
  const [widened] = changes.widen;
  if (widened)
    throw refuse(
      `table ${table} column ${widened.column} is ${widened.from} but contract ${contract.name} v${contract.version} declares ${widened.expected.declared}; ${frozen}`,
      { kind: "type-changed", column: widened.column, tableHas: widened.from, contractNeeds: widened.to },
    );
  const [undefaulted] = changes.setDefault;
  if (undefaulted)
    throw refuse(
      `table ${table} column ${undefaulted.name} has no default, which ${undefaulted.declared} needs (${undefaulted.default}); ${frozen}`,
      {
        kind: "column-default",
        column: undefaulted.name,
        tableHas: "no default",
        contractNeeds: `default ${undefaulted.default}`,
      },
    );
}
