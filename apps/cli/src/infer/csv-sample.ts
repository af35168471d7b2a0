import { extname } from "node:path";
import { parse } from "csv-parse/sync";
import type { SniffedFormat } from "./records";

/** Delimiters tried, in order of preference when two read the sample equally well. */
export const CSV_DELIMITERS = [",", "\t", ";", "|"] as const;

const DELIMITER_NAMES: Record<string, string> = { ",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe" };

/** How well one delimiter reads the sample: rows, the most common field count, the share of rows with it. */
interface DialectScore {
  delimiter: string;
  rows: string[][];
  fields: number;
  consistency: number;
}

function score(text: string, delimiter: string): DialectScore | undefined {
  let rows: string[][];
  try {
    rows = parse(text, { delimiter, quote: '"', relax_column_count: true, skip_empty_lines: true });
  } catch {
    return undefined;
  }
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
  const [fields, times] = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0] ?? [0, 0];
  return { delimiter, rows, fields, consistency: rows.length > 0 ? times / rows.length : 0 };
}

/**
 * The delimiter that reads the sample most consistently into more than one field (as DuckDB's
 * sniffer: every candidate is tried and the one whose rows agree on their width wins); a `.tsv`
 * file prefers tabs on a tie. A file no delimiter splits is one column.
 */
function sniffDialect(text: string, fileName: string): DialectScore {
  const order =
    extname(fileName.replace(/\.gz$/i, "")).toLowerCase() === ".tsv"
      ? ["\t", ...CSV_DELIMITERS.filter((d) => d !== "\t")]
      : [...CSV_DELIMITERS];
  const scores = order.map((d) => score(text, d)).filter((s): s is DialectScore => s !== undefined);
  const splitting = scores.filter((s) => s.fields > 1);
  const best = splitting.sort((a, b) => b.consistency - a.consistency || b.fields - a.fields)[0];
  return best ?? scores[0] ?? { delimiter: ",", rows: [], fields: 1, consistency: 1 };
}

/** True when the first line of a CSV is data like the rows below it (`looksLikeData` of infer-contract.ts). */
export type LooksLikeData = (first: readonly string[], rest: readonly (readonly string[])[]) => boolean;

/**
 * Sniffs a CSV sample: the delimiter (comma, tab, semicolon or pipe), whether the first line is a
 * header, and the column names (the header's, trimmed as staging matches them, else `column_1`,
 * `column_2`, …). The first line is a header unless it reads as data of the types the other rows
 * have (`looksLikeData`), or, when every column is text, unless its values repeat in their
 * columns or one is empty.
 */
export function sniffCsv(text: string, fileName: string, looksLikeData: LooksLikeData): SniffedFormat {
  const dialect = sniffDialect(text, fileName);
  const notes = [
    `format: csv with ${DELIMITER_NAMES[dialect.delimiter]} delimiter (${Math.round(dialect.consistency * 100)}% of sampled lines have ${dialect.fields} fields)`,
  ];
  const [first = [], ...rest] = dialect.rows;
  const repeated = first.some((value, i) => value === "" || rest.some((row) => row[i] === value));
  const header = !looksLikeData(first, rest) && !repeated && new Set(first).size === first.length;
  notes.push(
    header
      ? "header: the first line names the columns (its values are not like the rows below)"
      : "header: none (the first line reads as data); columns are named column_1, column_2, … and matched by position",
  );
  return {
    format: { type: "csv", delimiter: dialect.delimiter, quote: '"', header },
    names: header ? first.map((name) => name.trim()) : first.map((_, i) => `column_${i + 1}`),
    notes,
  };
}
