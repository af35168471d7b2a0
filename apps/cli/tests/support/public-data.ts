import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "csv-parse/sync";

/**
 * A file of the `vega-datasets` package (a devDependency), read where npm put it: public data
 * the tests load end to end, never copied into the repository.
 */
export function vegaDataFile(name: string): string {
  // The package exports only its build; the data folder sits beside it.
  return join(dirname(dirname(require.resolve("vega-datasets"))), "data", name);
}

/** The text of a `vega-datasets` file. */
export function vegaDataText(name: string): string {
  return readFileSync(vegaDataFile(name), "utf8");
}

/** One CSV record as the test's own parse reads it: the line it starts on, values by header name. */
export interface FileRecord {
  line: number;
  values: Record<string, string>;
}

/**
 * Reads CSV text with csv-parse's synchronous parser, independently of Sluice's reader (which
 * reads files like these with papaparse): the truth a loaded table is compared with. csv-parse
 * reports the line a record ends on; a record's own line breaks take it back to where it starts.
 */
export function parseCsvRecords(text: string): FileRecord[] {
  const parsed = parse(text, { columns: true, info: true, skip_empty_lines: true }) as {
    info: { lines: number };
    record: Record<string, string>;
  }[];
  return parsed.map(({ info, record }) => ({
    line: info.lines - Object.values(record).join("").split("\n").length + 1,
    values: record,
  }));
}

/** A contract field as far as comparing values goes. */
export interface ComparedField {
  name: string;
  type: string;
  source?: string;
}

/** A table row with every value as text (null for SQL NULL), keyed by column. */
export type TextRow = Record<string, string | null>;

/**
 * The rows a table with lineage should hold for `records` loaded under these fields: per record
 * its line (`_sluice_line`) and each field's value from its column in the file (`source`, or the
 * field's name), an empty value as NULL. Values stay as the file writes them: the table is read
 * back as text ({@link tableRowsSql}), so decimals compare digit for digit and dates as YYYY-MM-DD.
 */
export function expectedRows(fields: readonly ComparedField[], records: readonly FileRecord[]): TextRow[] {
  return records.map((record) => {
    const row: TextRow = { _sluice_line: String(record.line) };
    for (const field of fields) {
      const value = record.values[field.source ?? field.name];
      if (value === undefined) throw new Error(`the file has no column ${field.source ?? field.name}`);
      row[field.name] = value === "" ? null : value;
    }
    return row;
  });
}

/**
 * A query for a table's rows in line order, every value as text: dates as YYYY-MM-DD whatever
 * the session's DateStyle, numerics as Postgres prints them (all the digits the column keeps).
 * It orders by the table's column (`t.`), not by the text of the same name, which sorts "10" first.
 */
export function tableRowsSql(table: string, fields: readonly ComparedField[]): string {
  const columns = fields.map((field) =>
    field.type === "date"
      ? `to_char(${field.name}, 'YYYY-MM-DD') AS ${field.name}`
      : `${field.name}::text AS ${field.name}`,
  );
  return `SELECT _sluice_line::text AS _sluice_line, ${columns.join(", ")} FROM ${table} AS t ORDER BY t._sluice_line`;
}

/** Differences listed at most (the count says how many more). */
const DIFFERENCES_LISTED = 20;

/**
 * Every way the table's rows differ from the file's, value by value (row count, then per line
 * and column the table's value beside the file's); empty when they are equal.
 */
export function valueDifferences(table: readonly TextRow[], file: readonly TextRow[]): string[] {
  const differences: string[] = [];
  if (table.length !== file.length)
    differences.push(`the table has ${table.length} rows, the file ${file.length}`);
  for (let i = 0; i < Math.min(table.length, file.length); i++) {
    const expected = file[i]!;
    for (const column of Object.keys(expected)) {
      const actual = table[i]![column];
      if (actual !== expected[column])
        differences.push(
          `line ${expected._sluice_line} ${column}: table ${JSON.stringify(actual)}, file ${JSON.stringify(expected[column])}`,
        );
    }
  }
  if (differences.length <= DIFFERENCES_LISTED) return differences;
  return [
    ...differences.slice(0, DIFFERENCES_LISTED),
    `… and ${differences.length - DIFFERENCES_LISTED} more`,
  ];
}
