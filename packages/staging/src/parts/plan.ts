import type { FormatSpec } from "@sluice/core";
import type { FileMetaData } from "hyparquet";
import { resolveStagingConfig, type StagingConfig } from "../config";
import { contentKind, SNIFF_BYTES } from "../decode/compression";
import { validateUtf8 } from "../decode/utf8";
import { type CsvFormat, countLineBreaks, readCsv } from "../parse/csv";
import { type ObjectBytes, readParquetMetadata } from "../parse/parquet";
import { findRecordBoundaries, type RecordBoundary, type RecordSyntax } from "./boundaries";
import type { ObjectPart } from "./part";

/** Options of {@link planParts}. */
export interface PartPlanOptions {
  /** Bytes wanted per part: each part ends at the first record boundary at or past this many bytes from its start. */
  partBytes: number;
  /** Bytes of one ranged read of the pre-scan (default 8 MiB). */
  scanReadBytes?: number;
  /** The staging settings the parts will be staged with (the header is read as they read it). */
  config?: Partial<StagingConfig>;
  /**
   * Told once the object is known to split (its format and first bytes allow it), before the
   * pre-scan reads it; not told for an object staged in one pass.
   */
  onSplit?: () => Promise<void>;
  /**
   * Told of each part as soon as its end is known, in order, while the pre-scan goes on; `last`
   * on the final one. Parts handed out here may be staged at once.
   */
  onPart?: (part: ObjectPart, last: boolean) => Promise<void>;
}

/** How an object is cut into parts. */
export interface PartPlan {
  /** The parts, in order: contiguous, covering the whole object. One when it is not split. */
  parts: ObjectPart[];
  /** Why an object larger than `partBytes` is one part all the same, for `sluice status`. */
  unsplitReason?: string;
}

const MIB = 1024 * 1024;

/** The plan of an object staged in one pass. */
function wholeObject(size: number, unsplitReason?: string): PartPlan {
  return {
    parts: [{ index: 0, start: 0, end: size, firstLine: 1 }],
    ...(unsplitReason ? { unsplitReason } : {}),
  };
}

/**
 * The header record of a CSV object as staging reads it (the first record that is not a blank
 * line) and the line breaks up to its end, read through the same reader from the object's first
 * bytes; undefined when it cannot be read (the single pass then quarantines the object).
 */
async function readCsvHeader(
  bytes: ObjectBytes,
  format: CsvFormat,
  config: StagingConfig,
  readBytes: number,
): Promise<{ header: string[]; breaks: number } | undefined> {
  async function* head() {
    for (let at = 0; at < bytes.byteLength; at += readBytes)
      yield Buffer.from(await bytes.slice(at, Math.min(bytes.byteLength, at + readBytes)));
  }
  const found = Symbol("header found");
  let breaks = 0;
  let header: string[] | undefined;
  try {
    await readCsv(validateUtf8(head()), format, config, (record) => {
      breaks += 1 + countLineBreaks(record);
      if (record.length === 1 && record[0] === "") return;
      header = record;
      throw found;
    });
  } catch (error) {
    if (error !== found) return undefined;
  }
  return header && { header, breaks };
}

/** The only byte of `text`, when it is one ASCII character (the scan compares bytes). */
function asciiByte(text: string): number | undefined {
  return text.length === 1 && text.charCodeAt(0) < 0x80 ? text.charCodeAt(0) : undefined;
}

/** Row groups gathered into parts of about `partBytes` compressed bytes; rows keep their numbers. */
function parquetParts(metadata: FileMetaData, partBytes: number, size: number): ObjectPart[] {
  const parts: ObjectPart[] = [];
  let first = 0;
  let firstRow = 0;
  let rows = 0;
  let compressed = 0;
  let start = size;
  let end = 0;
  metadata.row_groups.forEach((group, index) => {
    for (const chunk of group.columns) {
      const meta = chunk.meta_data;
      if (!meta) continue;
      const offset = Number(meta.dictionary_page_offset ?? meta.data_page_offset);
      start = Math.min(start, offset);
      end = Math.max(end, offset + Number(meta.total_compressed_size));
      compressed += Number(meta.total_compressed_size);
    }
    rows += Number(group.num_rows);
    if (compressed < partBytes && index < metadata.row_groups.length - 1) return;
    parts.push({
      index: parts.length,
      start: Math.min(start, end),
      end,
      firstLine: firstRow + 1,
      rowGroups: { first, end: index + 1 },
    });
    first = index + 1;
    firstRow = rows;
    compressed = 0;
    start = size;
    end = 0;
  });
  return parts;
}

/**
 * Cuts an object into parts of about `partBytes` that workers can stage independently: staged in
 * order with `stagePart`, their rows and rejections are exactly those of the single pass, at the
 * same lines. `bytes` reads the object by ranges (`objectBytesFromStore`: S3 ranged GETs).
 *
 * **CSV: a sequential pre-scan.** Where a record ends depends on everything before it (a quoted
 * field may hold line breaks), so the object is read once, in order, by a two-state machine (in a
 * quoted field or not) that also counts the line breaks, since every part must know its first
 * line. Ge et al. ("Speculative Distributed CSV Data Parsing for Big Data Analytics", SIGMOD
 * 2019) parallelise this: each worker counts a chunk's quotes and notes its first line break
 * after an even and after an odd count (two-pass), or guesses the state from a short look-ahead
 * and verifies it once the previous chunk is parsed (speculative). Both rest on quote parity,
 * which staging's reader does not keep: a quote inside an unquoted value (`5" screen`) is data,
 * and a quote opens a field only where a field starts. The pre-scan follows that rule; it jumps
 * from quote to quote with native `indexOf`, several times faster than staging parses (README,
 * Parts), and a speculation that failed would have to re-stage a part, with its line numbers.
 * NDJSON and fixed-width split after any LF; Parquet by whole row groups (its footer says where
 * they are). One part, with `unsplitReason`, for what cannot be split: gzip (a deflate stream has
 * no entry points), a JSON document, content that is not text, a CSV delimiter or quote that is
 * not one ASCII character, a CSV header that cannot be read (the single pass quarantines it).
 */
export async function planParts(
  bytes: ObjectBytes,
  format: FormatSpec,
  options: PartPlanOptions,
): Promise<PartPlan> {
  const size = bytes.byteLength;
  if (size <= options.partBytes) return wholeObject(size);
  const readBytes = options.scanReadBytes ?? 8 * MIB;
  if (format.type === "parquet") {
    const metadata = await readParquetMetadata(bytes).catch(() => undefined);
    if (metadata === undefined) return wholeObject(size, "the Parquet footer cannot be read");
    const parts = parquetParts(metadata, options.partBytes, size);
    if (parts.length === 1) return wholeObject(size, "the Parquet file has one row group");
    await options.onSplit?.();
    for (const part of parts) await options.onPart?.(part, part.index === parts.length - 1);
    return { parts };
  }
  const kind = contentKind(Buffer.from(await bytes.slice(0, Math.min(size, SNIFF_BYTES))));
  if (kind.kind === "gzip") return wholeObject(size, "gzip cannot be split by byte range");
  if (kind.kind === "binary") return wholeObject(size, `content is ${kind.name}, not text`);
  if (format.type === "json") return wholeObject(size, "a JSON document is read whole");

  let syntax: RecordSyntax = { type: "lines" };
  let header: { header: string[]; breaks: number } | undefined;
  if (format.type === "csv") {
    const quote = asciiByte(format.quote);
    const delimiter = asciiByte(format.delimiter);
    if (quote === undefined || delimiter === undefined || quote === delimiter || quote === 10 || quote === 13)
      return wholeObject(size, "the CSV delimiter or quote is not one ASCII character");
    syntax = { type: "csv", quote, delimiter };
    if (format.header) {
      header = await readCsvHeader(bytes, format, resolveStagingConfig(options.config), 64 * 1024);
      if (header === undefined) return wholeObject(size, "the CSV header cannot be read");
    }
  }
  await options.onSplit?.();
  const parts: ObjectPart[] = [];
  let start: RecordBoundary = { offset: 0, breaksBefore: 0 };
  const partUntil = (end: number): ObjectPart => ({
    index: parts.length,
    start: start.offset,
    end,
    firstLine: start.breaksBefore + 1,
    ...(parts.length > 0 && header ? { header: header.header } : {}),
  });
  await findRecordBoundaries(bytes, {
    syntax,
    partBytes: options.partBytes,
    readBytes,
    minBreaks: header?.breaks ?? 0,
    onBoundary: async (boundary) => {
      const part = partUntil(boundary.offset);
      parts.push(part);
      start = boundary;
      await options.onPart?.(part, false);
    },
  });
  const last = partUntil(size);
  parts.push(last);
  await options.onPart?.(last, true);
  return { parts };
}
