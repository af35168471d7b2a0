import { Transform, type TransformCallback } from "node:stream";

const QUOTE = 0x22;
const NEWLINE = 0x0a;
const COMMA = 0x2c;

/**
 * Finds record boundaries in a byte stream of COPY input, so it can be cut into pieces that
 * each hold whole records. In CSV a newline ends a record only outside quotes (`""` inside
 * quotes toggles twice, so counting quotes is enough); in text format every raw newline ends one.
 */
export class RecordBoundaryScanner {
  readonly #csv: boolean;
  #inQuotes = false;
  /** The chunk {@link #quoteFrom} last searched, where it searched from, and what it found. */
  #quoteChunk: Buffer | undefined;
  #quoteSearchedFrom = 0;
  #quote = -1;

  constructor(options: { csv: boolean }) {
    this.#csv = options.csv;
  }

  /**
   * Scans `chunk` (continuing the state of earlier chunks) and returns the offset just past
   * the last record boundary in it, or -1 when it holds none.
   */
  scan(chunk: Uint8Array): number {
    if (!this.#csv) {
      const last = chunk.lastIndexOf(NEWLINE);
      return last < 0 ? -1 : last + 1;
    }
    const buffer = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let boundary = -1;
    for (;;) {
      const end = this.recordEnd(buffer, Math.max(boundary, 0));
      if (end < 0) return boundary;
      boundary = end + 1;
      // Every newline before the next quote ends a record too: jump to the last of them.
      const quote = buffer.indexOf(QUOTE, boundary);
      const last = buffer.lastIndexOf(NEWLINE, (quote < 0 ? buffer.length : quote) - 1);
      if (last >= boundary) boundary = last + 1;
    }
  }

  /**
   * The offset of the newline that ends the current CSV record, searching `chunk` from `from`
   * (continuing the quote state of what was scanned before), or -1 when the record goes on.
   */
  recordEnd(chunk: Buffer, from: number): number {
    let at = from;
    while (at < chunk.length) {
      const quote = this.#quoteFrom(chunk, at);
      if (this.#inQuotes) {
        if (quote < 0) return -1;
        this.#inQuotes = false;
        at = quote + 1;
        continue;
      }
      const newline = chunk.indexOf(NEWLINE, at);
      if (newline >= 0 && (quote < 0 || newline < quote)) return newline;
      if (quote < 0) return -1;
      this.#inQuotes = true;
      at = quote + 1;
    }
    return -1;
  }

  /**
   * The first quote in `chunk` at or after `at`, or -1. Records are looked for one after another
   * in the same chunk, so the last answer is kept while it is still ahead: searching again from
   * every record would scan to the next quote each time, quadratic in a chunk with few quotes.
   */
  #quoteFrom(chunk: Buffer, at: number): number {
    if (
      chunk !== this.#quoteChunk ||
      at < this.#quoteSearchedFrom ||
      (this.#quote >= 0 && this.#quote < at)
    ) {
      this.#quoteChunk = chunk;
      this.#quoteSearchedFrom = at;
      this.#quote = chunk.indexOf(QUOTE, at);
    }
    return this.#quote;
  }
}

/**
 * Drops the first field of every CSV record flowing through: the staged line number, when the
 * rows go straight into a table that keeps no lineage (COPY cannot skip an input column). That
 * field is a bare integer, never quoted, so it ends at the record's first comma; the rest of the
 * record is scanned quote-aware for the newline that ends it.
 */
export class FirstFieldRemover extends Transform {
  #atRecordStart = true;
  readonly #records = new RecordBoundaryScanner({ csv: true });

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    // Each record's rest is copied into one buffer: slicing each and concatenating them costs
    // an object per record.
    const kept = Buffer.allocUnsafe(chunk.length);
    let length = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.#atRecordStart) {
        const comma = chunk.indexOf(COMMA, at);
        if (comma < 0) break;
        this.#atRecordStart = false;
        at = comma + 1;
        continue;
      }
      const end = this.#records.recordEnd(chunk, at);
      const stop = end < 0 ? chunk.length : end + 1;
      length += chunk.copy(kept, length, at, stop);
      if (end < 0) break;
      this.#atRecordStart = true;
      at = stop;
    }
    if (length === 0) callback();
    else callback(null, kept.subarray(0, length));
  }
}
