import type { Readable } from "node:stream";
import type { FormatSpec } from "@sluice/core";
import { resolveStagingConfig, type StagingConfig } from "./config";
import { decompressWithLimits } from "./decode/compression";
import { validateUtf8 } from "./decode/utf8";
import { countLineBreaks, readCsv } from "./parse/csv";
import { readJsonArray } from "./parse/json-array";
import { exceedsJsonDepth } from "./parse/json-records";
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
  /** Staging limits (record size, JSON depth, decompression) as staging applies them. */
  config?: Partial<StagingConfig>;
}

/** Thrown by a record handler to stop a reader that has no other way to stop early. */
class SampleFull extends Error {}

/** The object's content, gunzipped when it is gzip, checked to be UTF-8: what staging's text readers read. */
function textOf(body: Readable, config: StagingConfig): AsyncIterable<Buffer> {
  return validateUtf8(decompressWithLimits(config)(body));
}

async function sampleCsv(
  text: AsyncIterable<Buffer>,
  format: Extract<FormatSpec, { type: "csv" }>,
  config: StagingConfig,
  limit: number,
): Promise<SampleRecord[]> {
  const records: SampleRecord[] = [];
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
      records.push({ line, values });
      if (records.length >= limit) throw new SampleFull();
    });
  } catch (error) {
    if (!(error instanceof SampleFull)) throw error;
  }
  return records;
}

async function sampleNdjson(text: AsyncIterable<Buffer>, config: StagingConfig, limit: number) {
  const records: SampleRecord[] = [];
  let partial = "";
  let line = 0;
  const decoder = new TextDecoder();
  for await (const chunk of text) {
    const lines = (partial + decoder.decode(chunk, { stream: true })).split("\n");
    partial = lines.pop()!;
    for (const text of lines) {
      line++;
      const value = parseObject(text, config);
      if (value) records.push({ line, values: value });
      if (records.length >= limit) return records;
    }
  }
  const value = parseObject(partial, config);
  if (value && records.length < limit) records.push({ line: line + 1, values: value });
  return records;
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

async function sampleParquet(
  bytes: ObjectBytes,
  config: StagingConfig,
  limit: number,
): Promise<SampleRecord[]> {
  const metadata = await readParquetMetadata(bytes);
  const names = parquetColumns(metadata);
  const records: SampleRecord[] = [];
  await readParquetRowGroups(
    bytes,
    metadata,
    names,
    config.parquetReadBytes,
    ({ rowStart, rows, columns }) => {
      for (let row = 0; row < rows && records.length < limit; row++) {
        const values: Record<string, unknown> = {};
        for (const name of names) values[name] = columns.get(name)!.at(row);
        records.push({ line: rowStart + row + 1, values });
      }
      return records.length < limit;
    },
  );
  return records;
}

/**
 * Reads the first `limit` records of an object in `format` as staging reads them (gzip and
 * UTF-8 checks, the same CSV, JSON and Parquet readers), without a contract: each record's values
 * by the names the file gives them. For `sluice contract infer` and anything else that looks at
 * a sample before a contract exists. Text formats read `source` as a stream and stop reading once
 * the sample is full; Parquet needs random access (`ObjectBytes`: `objectBytesFromStore`, or an
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
    return sampleParquet(source, config, options.limit);
  }
  if ("byteLength" in source) throw new TypeError(`a ${format.type} sample reads a stream`);
  const text = textOf(source, config);
  try {
    switch (format.type) {
      case "csv":
        return await sampleCsv(text, format, config, options.limit);
      case "ndjson":
        return await sampleNdjson(text, config, options.limit);
      case "json": {
        const records: SampleRecord[] = [];
        await readJsonArray(
          text,
          { records: format.records, maxRecordChars: config.maxRecordChars },
          (json, line) => {
            const values = parseObject(json, config);
            if (values) records.push({ line, values });
            return records.length < options.limit;
          },
        );
        return records;
      }
      case "fixed-width":
        throw new TypeError("fixed-width records have no names to sample by");
    }
  } finally {
    source.destroy();
  }
}
