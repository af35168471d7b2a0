import { pipeline, Readable } from "node:stream";
import { createGunzip, type ZlibOptions } from "node:zlib";
import { QuarantineError } from "@sluice/core";
import type { StagingConfig } from "../config";
import { QUARANTINE_REASONS } from "../reasons";

const GZIP_MAGIC = [0x1f, 0x8b];

/** Leading bytes of file kinds a text contract can never read, so they quarantine with a clear name. */
const BINARY_SIGNATURES: { name: string; magic: number[] }[] = [
  { name: "a zip archive", magic: [0x50, 0x4b, 0x03, 0x04] },
  { name: "a Parquet file", magic: [0x50, 0x41, 0x52, 0x31] },
  { name: "a bzip2 stream", magic: [0x42, 0x5a, 0x68] },
  { name: "an xz stream", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: "a zstd stream", magic: [0x28, 0xb5, 0x2f, 0xfd] },
];

/** Bytes read before deciding what the content is: the longest signature above. */
export const SNIFF_BYTES = 6;

function startsWith(head: Buffer, magic: number[]): boolean {
  return head.length >= magic.length && magic.every((byte, i) => head[i] === byte);
}

/** True for errors zlib raises on bad compressed data (codes `Z_DATA_ERROR`, `Z_BUF_ERROR`, …). */
function isZlibError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("Z_");
}

/** What an object's first bytes say it is: gzip, a binary kind no text contract reads (named), or text. */
export type ContentKind = { kind: "gzip" } | { kind: "binary"; name: string } | { kind: "text" };

/** The {@link ContentKind} of content starting with `head` (its first {@link SNIFF_BYTES} bytes suffice). */
export function contentKind(head: Uint8Array): ContentKind {
  const bytes = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  const binary = BINARY_SIGNATURES.find((signature) => startsWith(bytes, signature.magic));
  if (binary) return { kind: "binary", name: binary.name };
  return startsWith(bytes, GZIP_MAGIC) ? { kind: "gzip" } : { kind: "text" };
}

/**
 * Options of {@link decompressByContent}.
 */
export interface DecompressOptions {
  /** Buffer size of the gunzip stream. */
  highWaterMark: number;
  /** Most bytes gzip content may expand to. */
  maxDecompressedBytes: number;
  /** Largest decompressed / compressed ratio, checked once past {@link ratioFloorBytes}. */
  maxDecompressionRatio: number;
  /** Decompressed bytes below which the ratio is not checked. */
  ratioFloorBytes: number;
}

/** The quarantine of gzip content that expands past a limit of `options`, or undefined while within them. */
function expansionProblem(
  compressed: number,
  decompressed: number,
  options: DecompressOptions,
): QuarantineError | undefined {
  const details = { compressedBytes: compressed, decompressedBytes: decompressed };
  if (decompressed > options.maxDecompressedBytes) {
    return new QuarantineError(
      QUARANTINE_REASONS.decompressionLimit,
      `gzip content expands past maxDecompressedBytes (${options.maxDecompressedBytes} bytes): ` +
        `${decompressed} bytes from the first ${compressed} compressed bytes`,
      { ...details, limit: "maxDecompressedBytes" },
    );
  }
  if (decompressed > options.ratioFloorBytes && decompressed > compressed * options.maxDecompressionRatio) {
    return new QuarantineError(
      QUARANTINE_REASONS.decompressionLimit,
      `gzip content expands more than maxDecompressionRatio (${options.maxDecompressionRatio}:1): ` +
        `${decompressed} bytes from the first ${compressed} compressed bytes`,
      { ...details, limit: "maxDecompressionRatio" },
    );
  }
  return undefined;
}

/**
 * A pipeline stage that yields the object's content, gunzipped when its first bytes are the gzip
 * magic number (1f 8b) whatever its name or Content-Encoding says. Binary kinds a contract can
 * never read (zip, Parquet, …) fail as a `wrong-format` {@link QuarantineError}, data that starts
 * like gzip but does not decompress as `corrupt-gzip`, and gzip content that expands past
 * `maxDecompressedBytes` or `maxDecompressionRatio` as `decompression-limit`, as soon as it does.
 */
export function decompressByContent(options: DecompressOptions) {
  return async function* decompress(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    const iterator = source[Symbol.asyncIterator]();
    const headChunks: Buffer[] = [];
    let headLength = 0;
    let exhausted = false;
    while (headLength < SNIFF_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      headChunks.push(next.value);
      headLength += next.value.length;
    }
    const head = Buffer.concat(headChunks);
    async function* content(): AsyncGenerator<Buffer> {
      if (head.length > 0) yield head;
      if (exhausted) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    }

    const kind = contentKind(head);
    if (kind.kind === "binary") {
      throw new QuarantineError(QUARANTINE_REASONS.wrongFormat, `content is ${kind.name}, not text`, {
        kind: kind.name,
      });
    }
    if (kind.kind === "text") {
      yield* content();
      return;
    }

    // Zlib streams take stream options too; their typings only omit them.
    const gunzip = createGunzip({ highWaterMark: options.highWaterMark } as ZlibOptions);
    // pipeline (not pipe) so an error of the source, e.g. a dropped connection, reaches the reader.
    pipeline(Readable.from(content(), { objectMode: false }), gunzip, () => {});
    let decompressed = 0;
    try {
      for await (const chunk of gunzip) {
        decompressed += (chunk as Buffer).length;
        // Checked per chunk, so a bomb stops one buffer past the limit, never expanded whole.
        // bytesWritten counts the compressed bytes zlib has consumed, not those queued for it.
        const problem = expansionProblem(gunzip.bytesWritten, decompressed, options);
        if (problem) throw problem;
        yield chunk as Buffer;
      }
    } catch (error) {
      if (isZlibError(error)) {
        throw new QuarantineError(
          QUARANTINE_REASONS.corruptGzip,
          `content starts with the gzip magic number but does not decompress (${error.code})`,
          { zlibCode: error.code },
          { cause: error },
        );
      }
      throw error;
    } finally {
      gunzip.destroy();
    }
  };
}

/** {@link decompressByContent} with the stream size and expansion limits of a staging config. */
export function decompressWithLimits(config: StagingConfig) {
  return decompressByContent({
    highWaterMark: config.streamHighWaterMark,
    maxDecompressedBytes: config.maxDecompressedBytes,
    maxDecompressionRatio: config.maxDecompressionRatio,
    ratioFloorBytes: config.decompressionRatioFloorBytes,
  });
}
