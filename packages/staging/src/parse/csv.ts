import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { StringDecoder } from "node:string_decoder";
import { type DatasetContract, QuarantineError } from "@sluice/core";
import { CsvError, type Options as CsvParseOptions, parse } from "csv-parse";
import { Parser } from "papaparse";
import type { StagingConfig } from "../config";
import { completeUtf8Length } from "../decode/utf8";
import { QUARANTINE_REASONS } from "../reasons";
import type { RecordSink } from "../staging-writer";
import { countLineBreaks, handRecordsWithBreaks, singleLineEnding, spacedQuoteFinder } from "./csv-lines";
import { csvSplitter } from "./csv-split";
import { OBJECT_START, type RecordParser, type TextStart } from "./record-parser";

export { countLineBreaks } from "./csv-lines";

/** A contract's CSV format (the `csv` member of its `format`). */
export type CsvFormat = Extract<DatasetContract["format"], { type: "csv" }>;

/**
 * Maps parsed CSV records onto contract fields and tracks the physical line each starts on.
 *
 * The header is matched by name (`field.source ?? field.name`, in any order; extra columns are
 * ignored); a required field without a column fails the object as `missing-column`, a name
 * given to two columns (blank names aside) as `duplicate-column`. Lines are
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

  constructor(contract: DatasetContract, format: CsvFormat, sink: RecordSink, firstLine: number) {
    this.#contract = contract;
    this.#format = format;
    this.#sink = sink;
    this.#lastLine = firstLine - 1;
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

  /** Maps `record`, which holds `breaks` line breaks inside its values. */
  onRecord(record: string[], breaks: number): void {
    const line = this.#lastLine + 1;
    this.#lastLine = line + breaks;
    if (record.length === 1 && record[0] === "") return;

    const columns = this.#columns;
    if (columns === undefined) {
      this.useHeader(record);
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
  /** Maps columns by `header`, the header record (a part after the first is read by its object's). */
  useHeader(header: string[]): void {
    const names = header.map((name) => name.trim());
    const repeated = [...new Set(names.filter((name, i) => name !== "" && names.indexOf(name) !== i))];
    if (repeated.length > 0) {
      throw new QuarantineError(
        QUARANTINE_REASONS.duplicateColumn,
        `CSV header names column${repeated.length > 1 ? "s" : ""} ${repeated.join(", ")} more than once`,
        { repeated, header: names },
      );
    }
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

/** Options of the csv-parse reader, which takes the files the fast readers leave to it. */
export function csvParseOptions(format: CsvFormat, config: StagingConfig): CsvParseOptions {
  return {
    delimiter: format.delimiter,
    quote: format.quote,
    escape: format.quote,
    // Any line ending, even mixed in one file (csv-parse otherwise keeps the first one it sees).
    record_delimiter: ["\r\n", "\n", "\r"],
    // A quote inside an unquoted value (`5" screen`) is data, not a broken file.
    relax_quotes: true,
    // Rows with the wrong number of fields become rejections, not a failed file.
    relax_column_count: true,
    max_record_size: config.maxRecordChars,
  };
}

const BOM = "\uFEFF";
const EMPTY = Buffer.alloc(0);
const CR = 13;

/** Delimiters papaparse replaces with a comma (its `BAD_DELIMITERS`). */
const UNSUPPORTED_DELIMITERS = new Set(["\r", "\n", '"', BOM]);

/**
 * Reads CSV text with {@link csvSplitter} as far as it reads it, then with papaparse where that
 * provably gives what csv-parse gives, and hands the rest of the object to csv-parse otherwise.
 * Text is parsed in chunks from a record boundary: complete records go to `onRecord` with the
 * line breaks inside their values (as {@link countLineBreaks} counts them), the unfinished last
 * one is carried into the next chunk. The splitter reads plain records (and quoted fields) as
 * csv-parse does; a record it leaves alone, and the rest of that chunk, go to papaparse.
 *
 * papaparse takes one line ending and forgives what csv-parse rejects, so a chunk is only
 * parsed by it when (1) it uses one line ending throughout ({@link singleLineEnding}), (2) no
 * quote is followed by whitespace, which papaparse would skip between a closing quote and a
 * delimiter, (3) it is too short to hold a record over `maxRecordChars`, and (4) papaparse
 * reports no error (an unclosed or malformed quote). Otherwise csv-parse reads from the start
 * of that chunk, a record boundary, to the end of the object. A leading BOM is dropped when
 * `dropBom` (the text starts the object; elsewhere U+FEFF is data).
 */
export async function readCsv(
  source: AsyncIterable<Buffer>,
  format: CsvFormat,
  config: StagingConfig,
  onRecord: (record: string[], breaks: number) => void,
  dropBom = true,
): Promise<void> {
  const chunks = piecesOf(source, Math.max(1, Math.floor(config.maxRecordChars / 4)))[Symbol.asyncIterator]();
  const fast =
    UNSUPPORTED_DELIMITERS.has(format.delimiter) ||
    format.quote === "\r" ||
    format.quote === "\n" ||
    format.delimiter === format.quote
      ? undefined
      : {
          lf: new Parser({
            delimiter: format.delimiter,
            quoteChar: format.quote,
            escapeChar: format.quote,
            newline: "\n",
          }),
          crlf: new Parser({
            delimiter: format.delimiter,
            quoteChar: format.quote,
            escapeChar: format.quote,
            newline: "\r\n",
          }),
          spacedQuote: spacedQuoteFinder(format),
          split: csvSplitter(format),
        };
  let carry = "";
  /** The bytes of a character the last chunk cut, which start the next chunk's text. */
  let cut: Buffer | undefined;
  let first = true;
  for (;;) {
    const next = await chunks.next();
    const last = next.done === true;
    const bytes = last ? (cut ?? EMPTY) : cut ? Buffer.concat([cut, next.value]) : (next.value as Buffer);
    const complete = last ? bytes.length : completeUtf8Length(bytes);
    cut = complete < bytes.length ? Buffer.from(bytes.subarray(complete)) : undefined;
    // The unfinished record is joined to the chunk as bytes, not as strings: papaparse reads the
    // text a character at a time, which costs more through a concatenation than on a flat string.
    let text =
      carry === ""
        ? bytes.toString("utf8", 0, complete)
        : Buffer.concat([Buffer.from(carry), bytes.subarray(0, complete)]).toString("utf8");
    if (first && text.length > 0) {
      if (dropBom && text.startsWith(BOM)) text = text.slice(1);
      first = false;
    }
    const short =
      text.length * 3 <= config.maxRecordChars || Buffer.byteLength(text) <= config.maxRecordChars;
    if (fast && short) {
      const split = fast.split(text, last, onRecord);
      if (split.complete) {
        if (last) return;
        carry = text.slice(split.end);
        continue;
      }
      text = text.slice(split.end);
    }
    const ending = fast && singleLineEnding(text, last);
    const parsed =
      fast && ending && short && !fast.spacedQuote(text)
        ? (ending === "\n" ? fast.lf : fast.crlf).parse(
            // A CR cut from its LF ends no record yet; left in, it would make a quote before it
            // look malformed.
            !last && text.charCodeAt(text.length - 1) === CR ? text.slice(0, -1) : text,
            0,
            !last,
          )
        : undefined;
    if (parsed === undefined || parsed.errors.length > 0) {
      // Until some text has been seen, csv-parse still reads the object from its first byte.
      const decoder = new StringDecoder("utf8");
      if (cut) decoder.write(cut);
      await readRestWithCsvParse(
        text,
        chunks,
        decoder,
        last,
        { format, config, bom: first && dropBom },
        onRecord,
      );
      return;
    }
    handRecordsWithBreaks(text, parsed.data as string[][], format.quote, onRecord);
    if (last) return;
    carry = text.slice(parsed.meta.cursor as number);
  }
}

/**
 * `source`'s chunks cut into pieces of at most `bytes` bytes (views of them, no copies). The fast
 * readers only take text too short to hold a record over `maxRecordChars`; a chunk longer than
 * that (a store's large reads, or a low `SLUICE_MAX_RECORD_CHARS`) would otherwise hand the rest
 * of the object to csv-parse, measured about three times as slow.
 */
async function* piecesOf(source: AsyncIterable<Buffer>, bytes: number): AsyncIterable<Buffer> {
  for await (const chunk of source) {
    if (chunk.length <= bytes) yield chunk;
    else for (let at = 0; at < chunk.length; at += bytes) yield chunk.subarray(at, at + bytes);
  }
}

/** Feeds `text` and the rest of the object to csv-parse, which reads any CSV this parser accepts. */
async function readRestWithCsvParse(
  text: string,
  chunks: AsyncIterator<Buffer>,
  decoder: StringDecoder,
  done: boolean,
  options: { format: CsvFormat; config: StagingConfig; bom: boolean },
  onRecord: (record: string[], breaks: number) => void,
): Promise<void> {
  await pipeline(
    async function* rest() {
      if (text !== "") yield text;
      if (done) return;
      for (;;) {
        const next = await chunks.next();
        const more = next.done ? decoder.end() : decoder.write(next.value);
        if (more !== "") yield more;
        if (next.done) return;
      }
    },
    parse({ ...csvParseOptions(options.format, options.config), bom: options.bom }),
    // Records are handled synchronously as they arrive; the byte stages before the parser
    // wait for the staging outputs, so records never pile up here.
    new Writable({
      objectMode: true,
      write(record: string[], _encoding, callback) {
        try {
          onRecord(record, countLineBreaks(record));
        } catch (error) {
          callback(error as Error);
          return;
        }
        callback();
      },
    }),
  );
}

/**
 * A CSV {@link RecordParser} (quoted fields, embedded newlines, CRLF/LF/CR even mixed in one
 * file, BOM, the contract's delimiter and quote), with each record handled synchronously as it
 * is parsed, so no record object crosses a stream. papaparse reads the common files, csv-parse
 * the rest (see {@link readCsv}). A quote that never closes, or a record longer than
 * `maxRecordChars`, fails the object as a {@link QuarantineError} naming the line. Lines count
 * from `start`; a part after the first reads its rows by `start.header`, the object's header.
 */
export function csvParser(
  contract: DatasetContract,
  format: CsvFormat,
  sink: RecordSink,
  config: StagingConfig,
  start: TextStart = OBJECT_START,
): RecordParser {
  const mapper = new CsvRecordMapper(contract, format, sink, start.firstLine);
  return {
    stages: [
      // The byte stages before this one wait for the staging outputs, so records never pile up.
      async (source: AsyncIterable<Buffer>) => {
        if (format.header && start.header) mapper.useHeader(start.header);
        await readCsv(
          source,
          format,
          config,
          (record, breaks) => mapper.onRecord(record, breaks),
          start.atObjectStart,
        );
      },
    ],
    explain: (error) => explainCsvError(error, mapper.nextLine, config),
  };
}

/**
 * The quarantine of a failure csv-parse raised while reading the record that starts at `line`
 * (`record-too-large` or `malformed-csv`); any other error as it is.
 */
export function explainCsvError(error: unknown, line: number, config: StagingConfig): unknown {
  if (!(error instanceof CsvError)) return error;
  if (error.code === "CSV_MAX_RECORD_SIZE") {
    return new QuarantineError(
      QUARANTINE_REASONS.recordTooLarge,
      `CSV record starting at line ${line} is longer than ${config.maxRecordChars} characters`,
      { line },
      { cause: error },
    );
  }
  const what = error.code === "CSV_QUOTE_NOT_CLOSED" ? "a quote opened there never closes" : error.message;
  return new QuarantineError(
    QUARANTINE_REASONS.malformedCsv,
    `CSV cannot be parsed from line ${line}: ${what}`,
    { line, csvCode: error.code },
    { cause: error },
  );
}
