import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { type ObjectRef, type ObjectStore, QuarantineError } from "@sluice/core";
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type ColumnData,
  type Compressors,
  type FileMetaData,
  parquetMetadataAsync,
  parquetRead,
} from "hyparquet";
import { compressors as pureJsCompressors } from "hyparquet-compressors";
import { QUARANTINE_REASONS } from "../reasons";
import { decimalValue, isExactDecimal, PARQUET_PARSERS, parquetValue } from "./parquet-values";

/**
 * Random access to an object's bytes, as the Parquet reader needs it (footer first, then each
 * row group's column chunks): hyparquet's `AsyncBuffer`.
 */
export type ObjectBytes = AsyncBuffer;

/** Store failures seen through an {@link ObjectBytes}: they are retried or quarantined as the store says, never taken for a bad file. */
const storeFailures = new WeakSet<object>();

/**
 * The bytes of `object` read by ranged GETs from `store` (the exact version the reference
 * names), one request per slice: the Parquet reader asks for the footer, then for each row group.
 */
export function objectBytesFromStore(store: ObjectStore, object: ObjectRef): ObjectBytes {
  return {
    byteLength: object.size,
    async slice(start: number, end = object.size): Promise<ArrayBuffer> {
      if (end <= start) return new ArrayBuffer(0);
      try {
        const body = await store.get(object.bucket, object.key, {
          range: { start, end: end - 1 },
          ...(object.versionId ? { versionId: object.versionId } : {}),
        });
        const chunks: Buffer[] = [];
        for await (const chunk of body) chunks.push(chunk as Buffer);
        const bytes = Buffer.concat(chunks);
        // A large concatenation owns its memory whole: hand it over rather than copy it again.
        const whole = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
        return (
          whole ? bytes.buffer : bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)
        ) as ArrayBuffer;
      } catch (error) {
        if (error !== null && typeof error === "object") storeFailures.add(error);
        throw error;
      }
    },
  };
}

/** The bytes of a local file, read by slices (the CLI's files). */
export function objectBytesFromFile(path: string): Promise<ObjectBytes> {
  return asyncBufferFromFile(path);
}

/** Parquet's codecs: zlib's native gzip and brotli, pure JS for the rest (snappy is hyparquet's own). */
const COMPRESSORS: Compressors = {
  ...pureJsCompressors,
  GZIP: (input) => gunzipSync(input),
  BROTLI: (input) => brotliDecompressSync(input),
};

const PAR1 = Buffer.from("PAR1");

/** Fails as the error says: store errors as they are, anything hyparquet raises as `malformed-parquet`. */
function explainParquetError(error: unknown): unknown {
  if (error instanceof QuarantineError) return error;
  if (error !== null && typeof error === "object" && storeFailures.has(error)) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new QuarantineError(
    QUARANTINE_REASONS.malformedParquet,
    `Parquet cannot be read: ${message}`,
    {},
    { cause: error },
  );
}

/** The file's metadata, after checking it is Parquet at all (`wrong-format` when it is not). */
export async function readParquetMetadata(bytes: ObjectBytes): Promise<FileMetaData> {
  if (bytes.byteLength < 12)
    throw new QuarantineError(
      QUARANTINE_REASONS.wrongFormat,
      "content is too short to be a Parquet file",
      {},
    );
  let head: Buffer;
  try {
    head = Buffer.from(await bytes.slice(0, 4));
  } catch (error) {
    throw explainParquetError(error);
  }
  if (!head.equals(PAR1)) {
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    throw new QuarantineError(
      QUARANTINE_REASONS.wrongFormat,
      gzip
        ? "content is gzip, not Parquet (Parquet compresses inside the file: stage the .parquet file itself)"
        : "content is not a Parquet file (it does not start with PAR1)",
      {},
    );
  }
  try {
    return await parquetMetadataAsync(bytes, { parsers: PARQUET_PARSERS });
  } catch (error) {
    throw explainParquetError(error);
  }
}

/** The top-level column names of a Parquet file, in schema order. */
export function parquetColumns(metadata: FileMetaData): string[] {
  const names: string[] = [];
  let i = 1;
  // A depth-first walk of the flattened schema: skip each top-level column's descendants.
  while (i < metadata.schema.length) {
    const element = metadata.schema[i]!;
    names.push(element.name);
    let pending = element.num_children ?? 0;
    i++;
    while (pending > 0) {
      pending += (metadata.schema[i]!.num_children ?? 0) - 1;
      i++;
    }
  }
  return names;
}

/** The values of one column in one row group, read in row order. */
export interface ParquetColumnValues {
  /** The value of row `row` (0-based within the group) as the row validator takes it (`parquetValue`). */
  at(row: number): unknown;
}

/**
 * A column's decoded pages, converted value by value as they are read: building converted copies
 * of every column of a row group would double what the group holds in memory.
 */
class PagedColumn implements ParquetColumnValues {
  readonly #pages: ColumnData[];
  readonly #convert: (raw: unknown) => unknown;
  #page = 0;

  constructor(pages: ColumnData[], groupStart: number, convert: (raw: unknown) => unknown) {
    this.#pages = pages.map((page) => ({
      ...page,
      rowStart: page.rowStart - groupStart,
      rowEnd: page.rowEnd - groupStart,
    }));
    this.#pages.sort((a, b) => a.rowStart - b.rowStart);
    this.#convert = convert;
  }

  at(row: number): unknown {
    const pages = this.#pages;
    let page = pages[this.#page];
    if (page === undefined || row < page.rowStart) {
      this.#page = 0;
      page = pages[0];
    }
    while (page !== undefined && row >= page.rowEnd) page = pages[++this.#page];
    if (page === undefined || row < page.rowStart) return undefined;
    return this.#convert(page.columnData[row - page.rowStart]);
  }
}

/** The columns of one row group, or of a slice of one. */
export interface ParquetRowGroup {
  /** 0-based index in the file of the first row. */
  rowStart: number;
  rows: number;
  /** Column name → its values in this group. */
  columns: Map<string, ParquetColumnValues>;
}

/** Row groups [first, end) of a Parquet file, by index in its metadata. */
export interface RowGroupRange {
  first: number;
  end: number;
}

/**
 * Reads the rows of a Parquet file a row group at a time, a group of more than `readBytes`
 * compressed bytes in row slices of about that much (memory holds one slice's chunks and
 * values), and hands each to `onGroup`, which may wait (backpressure) or return `false` to stop. Only `columns` (top-level names) are read. Top-level DECIMAL columns stored as integers or
 * fixed bytes come out as exact decimal text; 64-bit integers as text; dates and timestamps as ISO
 * text (`PARQUET_PARSERS`). A file hyparquet cannot read fails as `malformed-parquet`. Only the
 * row groups in `groups` ([first, end), default all: a part of the file) are read.
 */
export async function readParquetRowGroups(
  bytes: ObjectBytes,
  metadata: FileMetaData,
  columns: readonly string[],
  readBytes: number,
  onGroup: (group: ParquetRowGroup) => Promise<boolean | undefined> | boolean | undefined,
  groups: RowGroupRange = { first: 0, end: metadata.row_groups.length },
): Promise<void> {
  // Decimals hyparquet would turn into floats are read as their stored integers and formatted exactly.
  const scales = new Map<string, number>();
  const topLevel = new Set(parquetColumns(metadata));
  const schema = metadata.schema.map((element) => {
    if (!topLevel.has(element.name) || !isExactDecimal(element)) return element;
    scales.set(element.name, element.scale ?? 0);
    return { ...element, converted_type: undefined, logical_type: undefined };
  });
  const exact: FileMetaData = { ...metadata, schema };
  const wanted = new Set(columns);
  let groupStart = 0;
  for (const [index, group] of metadata.row_groups.entries()) {
    const groupRows = Number(group.num_rows);
    if (index < groups.first || index >= groups.end) {
      groupStart += groupRows;
      continue;
    }
    // A large group is read in row slices: with the file's offset index only their pages are
    // fetched and decoded, so memory holds a slice, not the group.
    const compressed = group.columns
      .filter((chunk) => wanted.has(chunk.meta_data?.path_in_schema[0] ?? ""))
      .reduce((sum, chunk) => sum + Number(chunk.meta_data?.total_compressed_size ?? 0), 0);
    const slices = Math.max(1, Math.ceil(compressed / readBytes));
    const sliceRows = Math.ceil(groupRows / slices);
    for (let start = 0; start < groupRows; start += sliceRows) {
      const rowStart = groupStart + start;
      const rows = Math.min(sliceRows, groupRows - start);
      const chunks = new Map<string, ColumnData[]>();
      try {
        await parquetRead({
          file: bytes,
          metadata: exact,
          columns: [...columns],
          rowStart,
          rowEnd: rowStart + rows,
          useOffsetIndex: true,
          compressors: COMPRESSORS,
          parsers: PARQUET_PARSERS,
          onChunk: (chunk) => {
            const list = chunks.get(chunk.columnName) ?? [];
            list.push(chunk);
            chunks.set(chunk.columnName, list);
          },
        });
      } catch (error) {
        throw explainParquetError(error);
      }
      const values = new Map<string, ParquetColumnValues>();
      for (const name of columns) {
        const scale = scales.get(name);
        const convert = scale === undefined ? parquetValue : (raw: unknown) => decimalValue(raw, scale);
        values.set(name, new PagedColumn(chunks.get(name) ?? [], rowStart, convert));
      }
      if ((await onGroup({ rowStart, rows, columns: values })) === false) return;
    }
    groupStart += groupRows;
  }
}
