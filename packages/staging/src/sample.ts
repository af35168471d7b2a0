import type { Readable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { type FormatSpec, QuarantineError } from "@sluice/core";
import { resolveStagingConfig, type StagingConfig } from "./config";
import { decompressWithLimits } from "./decode/compression";
import { completeUtf8Length, validateUtf8 } from "./decode/utf8";
import { countLineBreaks, explainCsvError, readCsv } from "./parse/csv";
import { readJsonArray } from "./parse/json-array";
import { exceedsJsonDepth } from "./parse/json-records";
import { readLines } from "./parse/lines";
import { type ObjectBytes, parquetColumns, readParquetMetadata, readParquetRowGroups } from "./parse/parquet";

/** One record of a sample: its values by the names the file gives them, and its line (Parquet: row number). */
export interface SampleRecord {
  line: number;
  /**
   * CSV: header name → text (`column_<n>` without a header); JSON and NDJSON: the object itself
   * (nested values as they are); Parquet: column → value as staging reads it (64-bit integers
   * and decimals as exact text, dates and timestamps as ISO text, structs and lists as objects).
   */
  values: Record<string, unknown>;
}

/** Options of {@link readSampleRecords}. */
export interface SampleOptions {
  /** Most records to return. */
  limit: number;
  /**
   * Most bytes of content to sample. Text formats read at most this much of the (decompressed)
   * content: when there is more, the sample is the records that end within it, cut after its
   * last line break (or, with none, its last whole character), and the error a reader raises at
   * that cut end (a JSON array or a quoted value that breaks off) ends the sample instead of
   * failing it. Parquet samples the first rows whose values, written out as text, take at most
   * this many characters (about what a CSV of them would take); set `config.parquetReadBytes`
   * too to read it in slices no larger.
   */
  maxBytes?: number;
  /** Staging limits (record size, JSON depth, decompression) as staging applies them. */
  config?: Partial<StagingConfig>;
}

/** Thrown by a record handler to stop a reader that has no other way to stop early. */
class SampleFull extends Error {}

const LF = 0x0a;

/**
 * The first `maxBytes` of some UTF-8 content (in chunks that end on character boundaries). When
 * there is more, they are cut after their last line break (a record cut off would read as a bad
 * one; with no line break in them, after their last whole character), and {@link cut} turns true
 * once the reader has taken all of them. Chunks pass in the sizes they came in.
 */
class ContentPrefix {
  cut = false;

  constructor(readonly maxBytes: number) {}

  async *take(content: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    let taken = 0;
    let sawLineBreak = false;
    // The chunks after the last line break, held until it is known whether the budget cuts them off.
    let tail: Buffer[] = [];
    for await (const chunk of content) {
      const room = this.maxBytes - taken;
      const piece = chunk.length > room ? chunk.subarray(0, room) : chunk;
      taken += piece.length;
      const lineEnd = piece.lastIndexOf(LF) + 1;
      if (lineEnd > 0) {
        sawLineBreak = true;
        yield* tail;
        yield piece.subarray(0, lineEnd);
        tail = [];
      }
      if (lineEnd < piece.length) tail.push(piece.subarray(lineEnd));
      if (chunk.length > room) {
        if (!sawLineBreak) {
          const last = tail.pop();
          yield* tail;
          if (last) yield last.subarray(0, completeUtf8Length(last));
        }
        this.cut = true;
        return;
      }
    }
    yield* tail;
  }
}

/**
 * The object's content, gunzipped when it is gzip, checked to be UTF-8, at most `prefix`'s bytes
 * of it: what staging's text readers read.
 */
function textOf(body: Readable, config: StagingConfig, prefix: ContentPrefix): AsyncIterable<Buffer> {
  return prefix.take(validateUtf8(decompressWithLimits(config)(body)));
}

/** The first bytes of an object's content as text, from {@link readSampleText}. */
export interface SampleText {
  /** The text, without a leading BOM. */
  text: string;
  /** True when the text is the whole content; false when `maxBytes` cut it (after its last line break). */
  complete: boolean;
}

/**
 * Reads the first `maxBytes` of an object's content as staging's text readers get it (gunzipped
 * when it is gzip, within the decompression limits, checked to be UTF-8), cut after the last line
 * break when there is more: the text `sluice contract infer` sniffs a format from. Content
 * staging would quarantine (not UTF-8, a zip, Parquet, a gzip bomb) throws that `QuarantineError`.
 */
export async function readSampleText(
  source: Readable,
  options: { maxBytes: number; config?: Partial<StagingConfig> },
): Promise<SampleText> {
  const prefix = new ContentPrefix(options.maxBytes);
  const decoder = new StringDecoder("utf8");
  let text = "";
  try {
    for await (const chunk of textOf(source, resolveStagingConfig(options.config), prefix))
      text += decoder.write(chunk);
  } finally {
    source.destroy();
  }
  text += decoder.end();
  return { text: text.startsWith("\uFEFF") ? text.slice(1) : text, complete: !prefix.cut };
}

async function sampleCsv(
  text: AsyncIterable<Buffer>,
  format: Extract<FormatSpec, { type: "csv" }>,
  config: StagingConfig,
  sample: (record: SampleRecord) => void,
): Promise<void> {
  let names: string[] | undefined;
  let lastLine = 0;
  try {
    await readCsv(text, format, config, (record) => {
      const line = lastLine + 1;
      lastLine = line + countLineBreaks(record);
      if (record.length === 1 && record[0] === "") return;
      if (names === undefined) {
        names = format.header ? record.map((name) => name.trim()) : record.map((_, i) => `column_${i + 1}`);
        if (format.header) return;
      }
      const values: Record<string, unknown> = {};
      names.forEach((name, i) => {
        values[name] = record[i];
      });
      sample({ line, values });
    });
  } catch (error) {
    throw explainCsvError(error, lastLine + 1, config);
  }
}

/** `text` as a JSON object, or undefined when it is not one (blank, invalid, too deep, or another value). */
function parseObject(text: string, config: StagingConfig): Record<string, unknown> | undefined {
  if (text.trim() === "" || exceedsJsonDepth(text, config.maxJsonDepth)) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Characters `value` takes written out as text (objects and arrays as JSON): a Parquet row's share of a byte budget. */
function textLength(value: unknown): number {
  if (value === null || value === undefined) return 0;
  return typeof value === "object" ? JSON.stringify(value).length : String(value).length;
}

async function sampleParquet(
  bytes: ObjectBytes,
  config: StagingConfig,
  limit: number,
  maxBytes: number,
): Promise<SampleRecord[]> {
  const metadata = await readParquetMetadata(bytes);
  const names = parquetColumns(metadata);
  const records: SampleRecord[] = [];
  let size = 0;
  let full = false;
  await readParquetRowGroups(
    bytes,
    metadata,
    names,
    config.parquetReadBytes,
    ({ rowStart, rows, columns }) => {
      for (let row = 0; row < rows && !full; row++) {
        const values: Record<string, unknown> = {};
        // A delimiter or line break per value, as in a CSV of the same values.
        let rowSize = 0;
        for (const name of names) {
          values[name] = columns.get(name)!.at(row);
          rowSize += textLength(values[name]) + 1;
        }
        size += rowSize;
        full = size > maxBytes;
        if (!full) records.push({ line: rowStart + row + 1, values });
        full ||= records.length >= limit;
      }
      return !full;
    },
  );
  return records;
}

/**
 * Reads the first `limit` records of an object in `format` as staging reads them (gzip and
 * UTF-8 checks, the same CSV, JSON and Parquet readers), without a contract: each record's values
 * by the names the file gives them. For `sluice contract infer` and anything else that looks at
 * a sample before a contract exists. Text formats read `source` as a stream and stop reading once
 * the sample is full or `maxBytes` are read; Parquet needs random access (`ObjectBytes`: `objectBytesFromStore`, or an
 * ArrayBuffer of a whole file). NDJSON lines that are not JSON objects are left out of the
 * sample; structure errors (not CSV, not a JSON array, not Parquet) throw the `QuarantineError`
 * staging would quarantine with. Fixed-width has no names to sample by and is refused.
 */
export async function readSampleRecords(
  source: Readable | ObjectBytes,
  format: FormatSpec,
  options: SampleOptions,
): Promise<SampleRecord[]> {
  const config = resolveStagingConfig(options.config);
  if (format.type === "parquet") {
    if (!("byteLength" in source)) throw new TypeError("a Parquet sample needs random access (ObjectBytes)");
    return sampleParquet(source, config, options.limit, options.maxBytes ?? Number.POSITIVE_INFINITY);
  }
  if ("byteLength" in source) throw new TypeError(`a ${format.type} sample reads a stream`);
  const prefix = new ContentPrefix(options.maxBytes ?? Number.POSITIVE_INFINITY);
  const text = textOf(source, config, prefix);
  const records: SampleRecord[] = [];
  const sample = (record: SampleRecord) => {
    records.push(record);
    if (records.length >= options.limit) throw new SampleFull();
  };
  const sampleObject = (json: string, line: number): undefined => {
    const values = parseObject(json, config);
    if (values) sample({ line, values });
  };
  try {
    switch (format.type) {
      case "csv":
        await sampleCsv(text, format, config, sample);
        break;
      case "ndjson":
        await readLines(text, config, sampleObject);
        break;
      case "json":
        await readJsonArray(
          text,
          { records: format.records, maxRecordChars: config.maxRecordChars },
          sampleObject,
        );
        break;
      case "fixed-width":
        throw new TypeError("fixed-width records have no names to sample by");
    }
  } catch (error) {
    const atCut = prefix.cut && error instanceof QuarantineError;
    if (!(error instanceof SampleFull || atCut)) throw error;
  } finally {
    source.destroy();
  }
  return records;
}
