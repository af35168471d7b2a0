import { Transform, type TransformCallback } from "node:stream";
import { crc32 } from "node:zlib";

/** The most a stored deflate block holds (RFC 1951 §3.2.4: LEN is 16 bits). */
const STORED_BLOCK_BYTES = 0xffff;
/** A stored block's header: BFINAL/BTYPE, then LEN and NLEN. */
const BLOCK_HEADER_BYTES = 5;
/** The gzip member header (RFC 1952 §2.3): magic, deflate, no flags, no mtime, no extra flags, Unix. */
const GZIP_HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);

/**
 * Gzip at level 0, framed on the calling thread: what `createGzip({ level: 0 })` writes (a gzip
 * member of stored deflate blocks, its CRC-32 and size), without a trip through libuv's thread
 * pool for every chunk. The header is pushed at once; each chunk written becomes stored blocks of at
 * most 64 KiB in one buffer; `end()` adds an empty final block and the trailer. Any gunzip reads it.
 */
export class StoredGzip extends Transform {
  #crc = 0;
  #size = 0;

  constructor(options: { highWaterMark?: number } = {}) {
    super({ ...options, decodeStrings: true });
    this.push(GZIP_HEADER);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#crc = crc32(chunk, this.#crc);
    this.#size = (this.#size + chunk.length) >>> 0;
    const out = Buffer.allocUnsafe(
      chunk.length + Math.ceil(chunk.length / STORED_BLOCK_BYTES) * BLOCK_HEADER_BYTES,
    );
    let at = 0;
    for (let from = 0; from < chunk.length; from += STORED_BLOCK_BYTES) {
      const length = Math.min(STORED_BLOCK_BYTES, chunk.length - from);
      out[at] = 0; // not final, stored
      out.writeUInt16LE(length, at + 1);
      out.writeUInt16LE(~length & 0xffff, at + 3);
      at += BLOCK_HEADER_BYTES;
      at += chunk.copy(out, at, from, from + length);
    }
    callback(null, out);
  }

  override _flush(callback: TransformCallback): void {
    const out = Buffer.alloc(BLOCK_HEADER_BYTES + 8);
    // The final block: stored and empty (LEN 0, NLEN 0xffff).
    out[0] = 1;
    out.writeUInt16LE(0xffff, 3);
    out.writeUInt32LE(this.#crc >>> 0, BLOCK_HEADER_BYTES);
    out.writeUInt32LE(this.#size, BLOCK_HEADER_BYTES + 4);
    callback(null, out);
  }
}
