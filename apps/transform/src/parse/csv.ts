import { Writable } from "node:stream";
import { type DatasetContract, QuarantineError } from "@sluice/core";
import { CsvError, parse } from "csv-parse";
import type { TransformConfig } from "../config";
import { QUARANTINE_REASONS } from "../reasons";
import type { RecordSink } from "../staging-writer";
import type { RecordParser } from "./record-parser";

/** A contract's CSV format (the `csv` member of its `format`). */
export type CsvFormat = Extract<DatasetContract["format"], { type: "csv" }>;

/** Line breaks (CRLF, LF or a lone CR) inside the values of one record. */
function countLineBreaks(record: readonly string[]): number {
  let breaks = 0;
  for (const value of record) {
    // Two native scans rule out almost every value; only values with a break are walked.
    if (value.indexOf("\n") < 0 && value.indexOf("\r") < 0) continue;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        breaks++;
        if (value.charCodeAt(i + 1) === 10) i++;
      }
    }
  }
  return breaks;
}

/**
 * Maps parsed CSV records onto contract fields and tracks the physical line each starts on.
 *
 * The header is matched by name (`field.source ?? field.name`, in any order; extra columns are
 * ignored); a required field without a column fails the object as `missing-column`. Lines are
 * counted here rather than taken from csv-parse, which counts a CRLF inside quotes as two lines
 * and builds an info object per record: a record starts on the line after the previous one
 * ends, and spans the line breaks inside its values. Blank lines arrive as one empty field and
 * are skipped.
 */
class CsvRecordMapper {
  readonly #contract: DatasetContract;
  readonly #format: CsvFormat;
  readonly #sink: RecordSink;
  /** Per contract field, its column in the records (-1: absent, the value is missing). */
  #columns: number[] | undefined;
  #width = 0;
  /** True when columns are exactly the contract fields in order: records pass through unmapped. */
  #identity = false;
  readonly #values: unknown[];
  /** Physical line the last record ended on. */
  #lastLine = 0;

  constructor(contract: DatasetContract, format: CsvFormat, sink: RecordSink) {
    this.#contract = contract;
    this.#format = format;
    this.#sink = sink;
    this.#values = new Array(contract.fields.length);
    if (!format.header)
      this.#useColumns(
        contract.fields.map((_, i) => i),
        contract.fields.length,
      );
  }

  /** Line the record being parsed now starts on, for errors raised mid-record. */
  get nextLine(): number {
    return this.#lastLine + 1;
  }

  onRecord(record: string[]): void {
    const line = this.#lastLine + 1;
    this.#lastLine = line + countLineBreaks(record);
    if (record.length === 1 && record[0] === "") return;

    const columns = this.#columns;
    if (columns === undefined) {
      this.#readHeader(record);
      return;
    }
    if (record.length !== this.#width) {
      this.#sink.reject({
        line,
        field: "(row)",
        reason: `has ${record.length} fields, expected ${this.#width}`,
        value: record.join(this.#format.delimiter).slice(0, 200),
      });
      return;
    }
    if (this.#identity) {
      this.#sink.record(record, line);
      return;
    }
    const values = this.#values;
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i]!;
      values[i] = column < 0 ? undefined : record[column];
    }
    this.#sink.record(values, line);
  }
  #readHeader(header: string[]): void {
    const names = header.map((name) => name.trim());
    const columns = this.#contract.fields.map((field) => names.indexOf(field.source ?? field.name));
    const missing = this.#contract.fields.filter((field, i) => field.required && columns[i]! < 0);
    if (missing.length > 0) {
      const list = missing.map((field) => field.source ?? field.name);
      throw new QuarantineError(
        QUARANTINE_REASONS.missingColumn,
        `CSV header has no column for required field${list.length > 1 ? "s" : ""} ${list.join(", ")}`,
        { missing: list, header: names },
      );
    }
    this.#useColumns(columns, header.length);
  }

  #useColumns(columns: number[], width: number): void {
    this.#columns = columns;
    this.#width = width;
    this.#identity = width === columns.length && columns.every((column, i) => column === i);
  }
}

/**
 * A CSV {@link RecordParser}: csv-parse (streaming; quoted fields, embedded newlines, CRLF, BOM,
 * the contract's delimiter and quote) with each record handled synchronously as it is parsed,
 * so no record object crosses a stream. A quote that never closes, or a record longer than
 * `maxRecordChars`, fails the object as a {@link QuarantineError} naming the line.
 */
export function csvParser(
  contract: DatasetContract,
  format: CsvFormat,
  sink: RecordSink,
  config: TransformConfig,
): RecordParser {
  const mapper = new CsvRecordMapper(contract, format, sink);
  const parser = parse({
    delimiter: format.delimiter,
    quote: format.quote,
    escape: format.quote,
    bom: true,
    // Any line ending, even mixed in one file (csv-parse otherwise keeps the first one it sees).
    record_delimiter: ["\r\n", "\n", "\r"],
    // A quote inside an unquoted value (`5" screen`) is data, not a broken file.
    relax_quotes: true,
    // Rows with the wrong number of fields become rejections, not a failed file.
    relax_column_count: true,
    max_record_size: config.maxRecordChars,
  });
  return {
    stages: [
      parser,
      // Records are handled synchronously as they arrive; the byte stages before the parser
      // wait for the staging outputs, so records never pile up here.
      new Writable({
        objectMode: true,
        write(record: string[], _encoding, callback) {
          try {
            mapper.onRecord(record);
          } catch (error) {
            callback(error as Error);
            return;
          }
          callback();
        },
      }),
    ],
    explain: (error) => {
      if (!(error instanceof CsvError)) return error;
      const line = mapper.nextLine;
      if (error.code === "CSV_MAX_RECORD_SIZE") {
        return new QuarantineError(
          QUARANTINE_REASONS.recordTooLarge,
          `CSV record starting at line ${line} is longer than ${config.maxRecordChars} characters`,
          { line },
          { cause: error },
        );
      }
      const what =
        error.code === "CSV_QUOTE_NOT_CLOSED" ? "a quote opened there never closes" : error.message;
      return new QuarantineError(
        QUARANTINE_REASONS.malformedCsv,
        `CSV cannot be parsed from line ${line}: ${what}`,
        { line, csvCode: error.code },
        { cause: error },
      );
    },
  };
}
