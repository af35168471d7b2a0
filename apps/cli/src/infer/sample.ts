import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip } from "node:zlib";

/** The first bytes of a file, as `sluice contract infer` reads them. */
export interface Sample {
  path: string;
  /** The content (gunzipped when the file is gzip), at most the bytes asked for, without a UTF-8 BOM. */
  bytes: Buffer;
  /** True when the sample is the whole content. */
  wholeFile: boolean;
  gzip: boolean;
  /** True when the file is Parquet (`PAR1`): it is read through its footer instead. */
  parquet: boolean;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const PARQUET_MAGIC = "PAR1";

/**
 * Reads up to `sampleBytes` of `path`'s content: gzip is detected by its magic bytes and
 * decompressed as the pipeline does, Parquet is only recognised (its sample is read by rows).
 */
export async function readSample(path: string, sampleBytes: number): Promise<Sample> {
  const head = Buffer.alloc(4);
  const handle = await open(path, "r");
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  const gzip = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  if (head.toString("latin1") === PARQUET_MAGIC)
    return { path, bytes: Buffer.alloc(0), wholeFile: false, gzip: false, parquet: true };
  const source = createReadStream(path);
  const stream = gzip ? source.pipe(createGunzip()) : source;
  const chunks: Buffer[] = [];
  let length = 0;
  let wholeFile = true;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      length += chunk.length;
      if (length > sampleBytes) {
        wholeFile = false;
        break;
      }
    }
  } finally {
    source.destroy();
  }
  let bytes = Buffer.concat(chunks).subarray(0, Math.min(length, sampleBytes));
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  return { path, bytes, wholeFile, gzip, parquet: false };
}

/**
 * The sample as text, cut after its last line break when it is not the whole file (a partial
 * last record would read as a bad one), and cut before a partial UTF-8 character.
 */
export function sampleText(sample: Sample): string {
  const text = sample.bytes.toString("utf8");
  if (sample.wholeFile) return text;
  const end = text.lastIndexOf("\n");
  return end >= 0 ? text.slice(0, end + 1) : text;
}
