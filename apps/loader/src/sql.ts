/**
 * Quotes one SQL identifier (table, schema or column name) so that any text, reserved words
 * and quotes included, names exactly that object and can never end the identifier early.
 */
export function quoteIdent(name: string): string {
  if (name.length === 0) throw new TypeError("an SQL identifier cannot be empty");
  if (name.includes("\u0000")) throw new TypeError("an SQL identifier cannot contain a NUL character");
  return `"${name.replace(/"/g, '""')}"`;
}

/** A table name split into schema and table. */
export interface TableName {
  schema: string;
  table: string;
}

/** `"schema"."table"`, both parts quoted. */
export function qualifiedName(name: TableName): string {
  return `${quoteIdent(name.schema)}.${quoteIdent(name.table)}`;
}

/** `schema.table` for messages and logs (unquoted). */
export function displayName(name: TableName): string {
  return `${name.schema}.${name.table}`;
}

/**
 * Splits a contract's `table` (`orders` or `sales.orders`) into schema and table; an
 * unqualified name takes `defaultSchema` (the session's `current_schema()`; `null` leaves it
 * to the statement that reads the table to resolve).
 */
export function splitTableName<Default extends string | null>(
  table: string,
  defaultSchema: Default,
): { schema: string | Default; table: string } {
  const dot = table.indexOf(".");
  if (dot < 0) return { schema: defaultSchema, table };
  return { schema: table.slice(0, dot), table: table.slice(dot + 1) };
}

/** A comma-separated list of quoted identifiers. */
export function identList(names: readonly string[]): string {
  return names.map(quoteIdent).join(", ");
}
