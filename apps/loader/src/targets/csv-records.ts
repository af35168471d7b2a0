const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Finds record boundaries in a byte stream of COPY input, so it can be cut into pieces that
 * each hold whole records. In CSV a newline ends a record only outside quotes (`""` inside
 * quotes toggles twice, so counting quotes is enough); in text format every raw newline ends one.
 */
export class RecordBoundaryScanner {
  readonly #csv: boolean;
  #inQuotes = false;

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
    let at = 0;
    while (at < buffer.length) {
      if (this.#inQuotes) {
        const quote = buffer.indexOf(QUOTE, at);
        if (quote < 0) break;
        this.#inQuotes = false;
        at = quote + 1;
        continue;
      }
      const quote = buffer.indexOf(QUOTE, at);
      const newline = buffer.indexOf(NEWLINE, at);
      if (newline >= 0 && (quote < 0 || newline < quote)) {
        boundary = newline + 1;
        // Jump to the last newline before the next quote: every one of them is a boundary.
        const stop = quote < 0 ? buffer.length : quote;
        const last = buffer.lastIndexOf(NEWLINE, stop - 1);
        if (last > newline) boundary = last + 1;
        if (quote < 0) break;
        at = quote;
        continue;
      }
      if (quote < 0) break;
      this.#inQuotes = true;
      at = quote + 1;
    }
    return boundary;
  }
}
