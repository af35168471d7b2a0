import type { ObjectBytes } from "../parse/parquet";

/**
 * How records end, for a boundary scan. `csv`: a record ends at a CRLF, LF or lone CR outside a
 * quoted field, and a quote opens a quoted field only where a field starts (after the delimiter,
 * a line break, the object's start or its BOM), as staging's CSV reader (csv-parse with
 * `relax_quotes`) reads it; `lines`: every LF ends a record (NDJSON, fixed-width).
 */
export type RecordSyntax = { type: "csv"; quote: number; delimiter: number } | { type: "lines" };

/** A place between two records: a part may start there. */
export interface RecordBoundary {
  /** Byte offset in the object of the first byte after the record's line break. */
  offset: number;
  /** Line breaks before it, counted as staging counts them (the next line is this plus one). */
  breaksBefore: number;
}

/** Options of {@link findRecordBoundaries}. */
export interface BoundaryScanOptions {
  syntax: RecordSyntax;
  /** Bytes wanted between boundaries: each is the first record end at or past the last one plus this. */
  partBytes: number;
  /** Bytes of one ranged read. */
  readBytes: number;
  /** Line breaks a boundary must follow at least (a CSV header's lines: no part but the first holds it). */
  minBreaks: number;
  /** Ranged reads kept in flight ahead of the scan (default 4). */
  readsInFlight?: number;
  /**
   * Told of each boundary as soon as the scan has found it (before the rest of the object is
   * read), so a part can be handed out while the scan goes on; the scan waits for it.
   */
  onBoundary?: (boundary: RecordBoundary) => Promise<void> | void;
}

const LF = 10;
const CR = 13;

/** True when `bytes` starts with the UTF-8 BOM (EF BB BF). */
function startsWithBom(bytes: Buffer): boolean {
  return bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/**
 * Line breaks in `bytes[from, to)` as staging counts them: every LF, and, with `cr`, every CR not
 * followed by an LF (a CRLF is one break, counted at its LF). Native `indexOf` finds each.
 */
export function countBreaks(bytes: Buffer, from: number, to: number, cr: boolean): number {
  const view = bytes.subarray(from, to);
  let breaks = 0;
  for (let p = view.indexOf(LF); p >= 0; p = view.indexOf(LF, p + 1)) breaks++;
  if (cr) {
    for (let p = view.indexOf(CR); p >= 0; p = view.indexOf(CR, p + 1)) {
      if (bytes[from + p + 1] !== LF) breaks++;
    }
  }
  return breaks;
}

/**
 * The state machine of the pre-scan, fed the object's bytes in order, window by window. Its only
 * states are "inside a quoted field" or not, and the byte before the next one (does a field start
 * there?). It jumps from quote to quote with `indexOf` and looks for line breaks only where a
 * boundary is due, so it runs at memory speed on anything but a file of quotes.
 */
class BoundaryScanner {
  readonly boundaries: RecordBoundary[] = [];
  readonly #options: BoundaryScanOptions;
  readonly #cr: boolean;
  #inQuotes = false;
  /** The byte before the next one scanned: an LF at the start, where a field starts. */
  #prev = LF;
  /** Where the content starts: after a BOM, a quote still opens the first field. */
  #contentStart = 0;
  /** Line breaks before {@link #counted}. */
  #breaks = 0;
  #counted = 0;
  /** The offset the next boundary must reach. */
  #target: number;

  constructor(options: BoundaryScanOptions) {
    this.#options = options;
    this.#cr = options.syntax.type === "csv";
    this.#target = options.partBytes;
  }

  /**
   * Scans `window` (the object's bytes from `base`) and returns how many bytes it consumed: all
   * when `final`, else all but a last byte or two whose meaning needs the next byte (a quote that
   * may be doubled, a CR that may precede an LF), which the caller carries into the next window.
   */
  scan(window: Buffer, base: number, final: boolean): number {
    const limit = final ? window.length : window.length - 1;
    let i = 0;
    if (base === 0 && startsWithBom(window)) i = this.#contentStart = 3;
    const syntax = this.#options.syntax;
    if (syntax.type === "lines") {
      this.#findBoundaries(window, base, i, limit, limit);
      i = Math.max(i, limit);
    } else {
      const { quote, delimiter } = syntax;
      while (i < limit) {
        const found = window.indexOf(quote, i);
        const q = found < 0 || found > limit ? limit : found;
        if (this.#inQuotes) {
          if (q >= limit) {
            i = limit;
          } else if (window[q + 1] === quote) {
            i = q + 2;
          } else {
            this.#inQuotes = false;
            i = q + 1;
          }
          continue;
        }
        this.#findBoundaries(window, base, i, q, limit);
        if (q >= limit) {
          i = limit;
          break;
        }
        const before = q > 0 ? window[q - 1] : this.#prev;
        if (base + q === this.#contentStart || before === delimiter || before === LF || before === CR)
          this.#inQuotes = true;
        i = q + 1;
      }
    }
    this.#breaksAt(window, base, i);
    if (i > 0) this.#prev = window[i - 1]!;
    return i;
  }

  /** Records the boundaries due among the line breaks of `window[from, to)`, all outside quotes. */
  #findBoundaries(window: Buffer, base: number, from: number, to: number, limit: number): void {
    let s = Math.max(from, this.#target - base - 2);
    while (s < to) {
      const lf = window.indexOf(LF, s);
      let p = lf >= 0 && lf < to ? lf : -1;
      if (this.#cr) {
        const cr = window.indexOf(CR, s);
        if (cr >= 0 && cr < to && (p < 0 || cr < p)) p = cr;
      }
      if (p < 0) return;
      const end = window[p] === CR && window[p + 1] === LF ? p + 2 : p + 1;
      // A CRLF cut by the window's end: its LF is scanned, and the boundary found, with the next one.
      if (end > limit) return;
      s = end;
      if (base + end < this.#target) continue;
      const breaks = this.#breaksAt(window, base, end);
      if (breaks < this.#options.minBreaks) continue;
      this.boundaries.push({ offset: base + end, breaksBefore: breaks });
      this.#target = base + end + this.#options.partBytes;
      s = Math.max(s, this.#target - base - 2);
    }
  }

  /** Line breaks before `base + at`, counting on from where the last count stopped. */
  #breaksAt(window: Buffer, base: number, at: number): number {
    this.#breaks += countBreaks(window, this.#counted - base, at, this.#cr);
    this.#counted = base + at;
    return this.#breaks;
  }
}

/**
 * The record boundaries of an object about `partBytes` apart, found by one sequential pre-scan of
 * its bytes through ranged reads of `readBytes` (`readsInFlight` of them ahead of the scan).
 * Every boundary is where staging's reader starts a record, with the line breaks before it counted
 * as staging counts them; none at the object's end.
 */
export async function findRecordBoundaries(
  bytes: ObjectBytes,
  options: BoundaryScanOptions,
): Promise<RecordBoundary[]> {
  const size = bytes.byteLength;
  const readBytes = Math.max(16, options.readBytes);
  const scanner = new BoundaryScanner(options);
  const read = (at: number) => bytes.slice(at, Math.min(size, at + readBytes));
  // Several ranged reads in flight: one S3 connection gives ~90 MB/s, the scan runs faster.
  const inFlight: Promise<ArrayBuffer>[] = [];
  let requested = 0;
  const fill = () => {
    while (inFlight.length < Math.max(1, options.readsInFlight ?? 4) && requested < size) {
      const pending = Promise.resolve(read(requested));
      // Awaited in turn below; a read failing before its turn must not be an unhandled rejection.
      pending.catch(() => undefined);
      inFlight.push(pending);
      requested += readBytes;
    }
  };
  fill();
  let carry = Buffer.alloc(0);
  let base = 0;
  while (inFlight.length > 0) {
    const chunk = Buffer.from(await inFlight.shift()!);
    fill();
    const last = inFlight.length === 0;
    const window = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    const found = scanner.boundaries.length;
    const consumed = scanner.scan(window, base, last);
    carry = window.subarray(consumed);
    base += consumed;
    for (const boundary of scanner.boundaries.slice(found))
      if (boundary.offset < size) await options.onBoundary?.(boundary);
  }
  return scanner.boundaries.filter((boundary) => boundary.offset < size);
}
