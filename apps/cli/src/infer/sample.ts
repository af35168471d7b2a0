import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { objectBytesFromFile, readParquetMetadata, readSampleRecords, readSampleText } from "@sluice/staging";
import { type LooksLikeData, sniffCsv } from "./csv-sample";
import { sniffJson } from "./json-sample";
import { columnsOfRecords, type SampledRecords } from "./records";

/** A file's sample: its records as the pipeline reads them, and whether they are all of the file. */
export interface FileSample extends SampledRecords {
  wholeFile: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = "PAR1";

/** The first four bytes of `path`: what kind of file it is (Parquet, gzip) before any is decoded. */
async function headOf(path: string): Promise<Buffer> {
  const head = Buffer.alloc(4);
  const handle = await open(path, "r");
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  return head;
}

async function readParquetSample(path: string, sampleBytes: number): Promise<FileSample> {
  const bytes = await objectBytesFromFile(path);
  const metadata = await readParquetMetadata(bytes);
  const totalRows = Number(metadata.num_rows);
  const records = await readSampleRecords(
    bytes,
    { type: "parquet" },
    // Row slices of at most the budget, so no read goes far past the rows sampled.
    { limit: Number.POSITIVE_INFINITY, maxBytes: sampleBytes, config: { parquetReadBytes: sampleBytes } },
  );
  return {
    format: { type: "parquet" },
    columns: columnsOfRecords(records.map((record) => record.values)),
    rows: records.length,
    typed: true,
    notes: [`format: parquet (${totalRows} rows in ${metadata.row_groups.length} row group(s))`],
    wholeFile: records.length >= totalRows,
  };
}

/**
 * Reads a sample of `path` for `sluice contract infer`. The format is sniffed from the file's
 * first bytes (Parquet; gzip, read decompressed) and from its first `sampleBytes` of text
 * (a JSON array or document, NDJSON, else CSV and its dialect); the records are then read with
 * that format by `@sluice/staging`'s own readers, so every guess is made from the values the
 * pipeline will see. A text sample stops at `sampleBytes` of content, a Parquet one at the rows
 * whose values take about as much as text. Content staging would quarantine throws its
 * `QuarantineError`.
 */
export async function readFileSample(
  path: string,
  sampleBytes: number,
  looksLikeData: LooksLikeData,
): Promise<FileSample> {
  const head = await headOf(path);
  if (head.toString("latin1") === PARQUET_MAGIC) return readParquetSample(path, sampleBytes);
  const sample = await readSampleText(createReadStream(path), { maxBytes: sampleBytes });
  const sniffed = (await sniffJson(sample.text)) ?? sniffCsv(sample.text, basename(path), looksLikeData);
  const records = (
    await readSampleRecords(createReadStream(path), sniffed.format, {
      limit: Number.POSITIVE_INFINITY,
      maxBytes: sampleBytes,
    })
  ).map((record) => record.values);
  const notes = [...sniffed.notes];
  if (head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1])
    notes.push("gzip: detected by its content and read decompressed, as the pipeline does");
  return {
    format: sniffed.format,
    // CSV columns are the header's (or the first line's) even when no row follows it.
    columns: sniffed.names
      ? sniffed.names.map((source) => ({ source, values: records.map((record) => record[source]) }))
      : columnsOfRecords(records),
    rows: records.length,
    typed: sniffed.format.type !== "csv",
    notes,
    wholeFile: sample.complete,
  };
}
