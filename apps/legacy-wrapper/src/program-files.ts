import { createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type DatasetContract,
  type FormatSpec,
  hasCode,
  type ObjectRef,
  type ObjectStore,
  STAGED_LINE_COLUMN,
} from "@sluice/core";
import {
  decompressWithLimits,
  QUARANTINE_REASONS,
  resolveStagingConfig,
  validateUtf8,
} from "@sluice/staging";

/** The format the legacy program's output is read in: CSV with a header line. */
export const LEGACY_OUTPUT_FORMAT: FormatSpec = { type: "csv", delimiter: ",", quote: '"', header: true };

/** Reads the first line of a file (up to `limit` bytes), or `undefined` when the file is empty or missing. */
async function firstLineOf(path: string, limit = 64 * 1024): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    if (bytesRead === 0) return undefined;
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const end = text.indexOf("\n");
    return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, "");
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Column names of a CSV header line (quotes removed; names never contain commas). */
function headerNames(line: string): string[] {
  return line.split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1"));
}

/** The contract the legacy output is validated with: same fields, read by name from the CSV header. */
export function contractForOutput(contract: DatasetContract): DatasetContract {
  return {
    ...contract,
    format: LEGACY_OUTPUT_FORMAT,
    fields: contract.fields.map(({ source: _source, ...field }) => field),
  };
}

/**
 * Streams the object (the version `object` names) from the store into `path` for the legacy
 * program to read. Text content is gunzipped when it is gzip, with staging's limits: gzip that
 * expands past `maxDecompressedBytes` or `maxDecompressionRatio` stops the download as a
 * `decompression-limit` QuarantineError (a binary kind as `wrong-format`), before the disk fills.
 * Binary formats (Parquet) are stored as they are.
 */
export async function downloadInput(
  store: ObjectStore,
  object: ObjectRef,
  path: string,
  format: FormatSpec,
): Promise<void> {
  const options = object.versionId ? { versionId: object.versionId } : undefined;
  const body = await store.get(object.bucket, object.key, options);
  if (format.type === "parquet") await pipeline(body, createWriteStream(path));
  else await pipeline(body, decompressWithLimits(resolveStagingConfig()), createWriteStream(path));
}

/** What the program's output header says: a problem, or the column holding each record's input line. */
export type OutputHeader = { problem: string } | { problem?: undefined; lineColumn?: string };

/**
 * Reads the header of the program's output at `path`: a problem when there is no output or its
 * header lacks a contract field (`wrote no output`, `wrote output whose header lacks …`); else
 * `lineColumn` is {@link STAGED_LINE_COLUMN} when the program wrote each record's input line there
 * (the shipped program does), so staging names rows and rejections by the input's lines.
 */
export async function readOutputHeader(path: string, contract: DatasetContract): Promise<OutputHeader> {
  const header = await firstLineOf(path);
  if (header === undefined) return { problem: "wrote no output" };
  const names = headerNames(header);
  const missing = contract.fields.map((f) => f.name).filter((n) => !names.includes(n));
  if (missing.length > 0) {
    return {
      problem: `wrote output whose header lacks ${missing.join(", ")} (header: ${header.slice(0, 200)})`,
    };
  }
  return names.includes(STAGED_LINE_COLUMN) ? { lineColumn: STAGED_LINE_COLUMN } : {};
}

/** Where a file stops being UTF-8: byte offset (0-based), line (1-based, lines end at LF), byte of that line (1-based). */
export interface InvalidUtf8Position {
  byteOffset: number;
  line: number;
  byteOfLine: number;
}

/**
 * Where the file at `path` stops being valid UTF-8 (staging's check), or `undefined` when it is
 * valid throughout. The line is counted as the fixed-width reader and the program count it, by
 * LF, so a quarantine names the line of the original file, not of the program's output.
 */
export async function firstInvalidUtf8(path: string): Promise<InvalidUtf8Position | undefined> {
  try {
    await pipeline(
      createReadStream(path),
      validateUtf8,
      new Writable({ write: (_chunk, _enc, done) => done() }),
    );
    return undefined;
  } catch (error) {
    if (!hasCode(error, QUARANTINE_REASONS.notUtf8)) throw error;
    const byteOffset = Number(error.context.byteOffset);
    let line = 1;
    let lineStart = 0;
    let read = 0;
    // Only on the failure path: count the line breaks before the bad byte (`end` is inclusive).
    if (byteOffset > 0) {
      for await (const chunk of createReadStream(path, { end: byteOffset - 1 }) as AsyncIterable<Buffer>) {
        for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
          line++;
          lineStart = read + i + 1;
        }
        read += chunk.length;
      }
    }
    return { byteOffset, line, byteOfLine: byteOffset - lineStart + 1 };
  }
}
