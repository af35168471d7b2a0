import { FIELD_TYPES, type FieldSpec } from "@sluice/core";

/**
 * A column type as Postgres's `format_type` spells it (`bigint`, `numeric(12,2)`,
 * `character varying(40)`, `timestamp with time zone`), split into its name and modifiers so
 * two types can be compared: is one the other, does it hold every value of the other.
 */
export interface ColumnType {
  /** The type's name without modifiers, e.g. `numeric`, `character varying`, `text`. */
  base: string;
  /** `character varying(length)`. */
  length?: number;
  /** `numeric(precision,scale)`. */
  precision?: number;
  scale?: number;
}

/** How `format_type` spells the core type names that have a longer official name. */
const FORMAT_TYPE_NAMES: Readonly<Record<string, string>> = { timestamptz: "timestamp with time zone" };

/** Decimal digits of the largest value of each integer type (what `numeric` needs to hold it). */
const INTEGER_DIGITS: Readonly<Record<string, number>> = { smallint: 5, integer: 10, bigint: 19 };

const TEXT_TYPES = new Set(["text", "character varying"]);

/**
 * The column type of a contract field: core's {@link FIELD_TYPES}, with two refinements a
 * contract can ask for: a string with `maxLength` is `character varying(maxLength)` and a
 * decimal with `precision` is `numeric(precision,scale)` (scale 0 when absent, as in Postgres).
 */
export function contractColumnType(field: FieldSpec): ColumnType {
  if (field.type === "string" && field.maxLength !== undefined)
    return { base: "character varying", length: field.maxLength };
  if (field.type === "decimal" && field.precision !== undefined)
    return { base: "numeric", precision: field.precision, scale: field.scale ?? 0 };
  const name: string = FIELD_TYPES[field.type];
  return { base: FORMAT_TYPE_NAMES[name] ?? name };
}

/** The SQL of a column type, spelled as `format_type` spells it (valid in DDL too). */
export function formatColumnType(type: ColumnType): string {
  if (type.length !== undefined) return `${type.base}(${type.length})`;
  if (type.precision !== undefined) return `${type.base}(${type.precision},${type.scale ?? 0})`;
  return type.base;
}

/** The Postgres type of a contract field, as SQL. */
export function columnTypeOf(field: FieldSpec): string {
  return formatColumnType(contractColumnType(field));
}

/** Reads a type as `format_type` prints it; types Sluice does not create keep their whole name. */
export function parseColumnType(formatted: string): ColumnType {
  const match = /^(character varying|numeric)\((\d+)(?:,(\d+))?\)$/.exec(formatted);
  if (!match) return { base: formatted };
  if (match[1] === "character varying") return { base: "character varying", length: Number(match[2]) };
  return { base: "numeric", precision: Number(match[2]), scale: Number(match[3] ?? 0) };
}

/**
 * How a table column's type meets the type the contract declares:
 * - `same`: identical;
 * - `holds`: nothing to change: the column takes every value the contract allows (a `text`
 *   column for a field with `maxLength`, a wider `numeric`), or the contract states no limit and
 *   the column has one of its own (`character varying(n)` for a field without `maxLength`,
 *   `numeric(p,s)` for a decimal without `precision`), which stays: a value over it is the
 *   table's refusal of that row;
 * - `widen`: the column must become the contract's type, and that conversion keeps every
 *   existing value (integer → decimal, a longer `character varying`, more digits of `numeric`);
 *   integer → `numeric(p,s)` with fewer integer digits than the column's is a widening Postgres
 *   may still refuse for the values the table holds;
 * - `incompatible`: converting could change or lose existing values (another type, fewer decimals).
 */
export type TypeFit = "same" | "holds" | "widen" | "incompatible";

/** The {@link TypeFit} of a column of type `table` for a field of type `contract`. */
export function typeFit(table: ColumnType, contract: ColumnType): TypeFit {
  if (formatColumnType(table) === formatColumnType(contract)) return "same";
  if (TEXT_TYPES.has(table.base) && TEXT_TYPES.has(contract.base)) {
    if (table.length === undefined || contract.length === undefined) return "holds";
    return contract.length <= table.length ? "holds" : "widen";
  }
  if (contract.base === "bigint") {
    if (table.base in INTEGER_DIGITS) return "widen";
    return table.base === "numeric" && holdsDigits(table, INTEGER_DIGITS.bigint ?? 19, 0)
      ? "holds"
      : "incompatible";
  }
  if (contract.base === "numeric") {
    if (table.base in INTEGER_DIGITS) return "widen";
    if (table.base !== "numeric") return "incompatible";
    if (contract.precision === undefined || table.precision === undefined) return "holds";
    const integerDigits = contract.precision - (contract.scale ?? 0);
    if (holdsDigits(table, integerDigits, contract.scale ?? 0)) return "holds";
    return holdsDigits(contract, digitsBeforePoint(table), table.scale ?? 0) ? "widen" : "incompatible";
  }
  return "incompatible";
}

/** True when `numeric` type `type` holds every number with `integerDigits` and `scale` digits. */
function holdsDigits(type: ColumnType, integerDigits: number, scale: number): boolean {
  if (type.precision === undefined) return true;
  return (type.scale ?? 0) >= scale && digitsBeforePoint(type) >= integerDigits;
}

function digitsBeforePoint(type: ColumnType): number {
  return (type.precision ?? Number.POSITIVE_INFINITY) - (type.scale ?? 0);
}
