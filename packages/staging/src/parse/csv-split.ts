import { lineBreaksIn } from "./csv-lines";

const LF = 10;
const CR = 13;
/** {@link splitCsvRecord}: the record goes on past the text; it is read again with the next chunk. */
const UNFINISHED = -1;
/** {@link splitCsvRecord}: the record holds something this splitter leaves to the other readers. */
const UNSUPPORTED = -2;

/** Where {@link CsvSplitter} stopped in a text. */
export interface CsvSplit {
  /** Index of the first record not handed on: a record boundary. */
  end: number;
  /**
   * True when every record before `end` was handed on and the text from `end` is one unfinished
   * record (nothing at all when the text is the object's last); false when the record at `end`
   * holds something the splitter does not read, and the text from there is left to the other
   * readers.
   */
  complete: boolean;
}

/**
 * Hands the records at the start of `text` (which starts at a record boundary) to `onRecord`
 * with the line breaks inside their values; `last` when no text follows.
 */
export type CsvSplitter = (
  text: string,
  last: boolean,
  onRecord: (record: string[], breaks: number) => void,
) => CsvSplit;

/**
 * A CSV reader for the plain records most files are made of, reading them exactly as csv-parse
 * does with staging's options (`relax_quotes`, `relax_column_count`, the line endings CRLF, LF
 * and a lone CR, even mixed). A line without a quote is cut at each delimiter found by a native
 * search; a line with a quote is read field by field, a quoted field from its opening quote
 * (a field's first character) to its closing quote, doubled quotes read as one. Whatever else it
 * meets (a quote inside an unquoted value, anything but a delimiter or line end after a closing
 * quote, a quote that never closes in the object's last text) it does not read: it stops at the
 * start of that record and says so, and the record is read by papaparse or csv-parse as before.
 * Every record's fields are new strings in a new array.
 */
export function csvSplitter(format: { delimiter: string; quote: string }): CsvSplitter {
  const { delimiter, quote } = format;
  const delimiterCode = delimiter.charCodeAt(0);
  const quoteCode = quote.charCodeAt(0);

  /**
   * Reads the rest of a record whose line holds a quote field by field, from `at`, the start of
   * a field, after its first `fields`: the index after its line end, or {@link UNFINISHED} or
   * {@link UNSUPPORTED}.
   */
  const splitCsvRecord = (
    text: string,
    fields: string[],
    at: number,
    last: boolean,
    onRecord: (record: string[], breaks: number) => void,
  ): number => {
    const length = text.length;
    let breaks = 0;
    for (;;) {
      let value: string;
      let after: number;
      if (text.charCodeAt(at) === quoteCode) {
        value = "";
        let from = at + 1;
        for (;;) {
          const close = text.indexOf(quote, from);
          if (close < 0) return last ? UNSUPPORTED : UNFINISHED;
          // A quote ending the text may be the first of a doubled one.
          if (close + 1 === length && !last) return UNFINISHED;
          if (text.charCodeAt(close + 1) === quoteCode) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          value += text.slice(from, close);
          breaks += lineBreaksIn(text, at + 1, close);
          after = close + 1;
          break;
        }
        const next = text.charCodeAt(after);
        if (after < length && next !== delimiterCode && next !== LF && next !== CR) return UNSUPPORTED;
      } else {
        after = at;
        for (; after < length; after++) {
          const c = text.charCodeAt(after);
          if (c === delimiterCode || c === LF || c === CR) break;
          if (c === quoteCode) return UNSUPPORTED;
        }
        value = text.slice(at, after);
      }
      fields.push(value);
      if (after === length) {
        if (!last) return UNFINISHED;
        onRecord(fields, breaks);
        return length;
      }
      const c = text.charCodeAt(after);
      if (c === delimiterCode) {
        at = after + 1;
        continue;
      }
      // A CR ending the text may be the first half of a CRLF.
      if (c === CR && after + 1 === length && !last) return UNFINISHED;
      onRecord(fields, breaks);
      return c === CR && text.charCodeAt(after + 1) === LF ? after + 2 : after + 1;
    }
  };

  return (text, last, onRecord) => {
    const length = text.length;
    let start = 0;
    let lf = text.indexOf("\n");
    let cr = text.indexOf("\r");
    let quoteAt = text.indexOf(quote);
    let width = 1;
    while (start < length) {
      if (lf >= 0 && lf < start) lf = text.indexOf("\n", start);
      if (cr >= 0 && cr < start) cr = text.indexOf("\r", start);
      if (quoteAt >= 0 && quoteAt < start) quoteAt = text.indexOf(quote, start);
      const lineEnd = lf < 0 ? (cr < 0 ? length : cr) : cr < 0 || lf < cr ? lf : cr;
      if (quoteAt < 0 || quoteAt >= lineEnd) {
        let next: number;
        if (lineEnd === length) {
          if (!last) break;
          next = length;
        } else if (lineEnd === cr) {
          // A CR ending the text may be the first half of a CRLF.
          if (lineEnd + 1 === length && !last) break;
          next = text.charCodeAt(lineEnd + 1) === LF ? lineEnd + 2 : lineEnd + 1;
        } else {
          next = lineEnd + 1;
        }
        // An array of the last record's width, filled by index, and one search per delimiter:
        // measured about three times as fast as `String.prototype.split` of the line.
        const fields: string[] = new Array(width);
        let count = 0;
        let from = start;
        let at = text.indexOf(delimiter, start);
        while (at >= 0 && at < lineEnd) {
          if (count < width) fields[count] = text.slice(from, at);
          else fields.push(text.slice(from, at));
          count++;
          from = at + 1;
          at = text.indexOf(delimiter, from);
        }
        if (count < width) fields[count] = text.slice(from, lineEnd);
        else fields.push(text.slice(from, lineEnd));
        count++;
        if (count < width) fields.length = count;
        width = count;
        onRecord(fields, 0);
        start = next;
        continue;
      }
      // The fields before the first quote hold no quote and no line end: cut them as above.
      const fields: string[] = [];
      let from = start;
      let at = text.indexOf(delimiter, start);
      while (at >= 0 && at < quoteAt) {
        fields.push(text.slice(from, at));
        from = at + 1;
        at = text.indexOf(delimiter, from);
      }
      // A quote inside an unquoted value.
      if (from !== quoteAt) return { end: start, complete: false };
      const next = splitCsvRecord(text, fields, quoteAt, last, onRecord);
      if (next === UNFINISHED) break;
      if (next === UNSUPPORTED) return { end: start, complete: false };
      start = next;
    }
    return { end: start, complete: true };
  };
}
