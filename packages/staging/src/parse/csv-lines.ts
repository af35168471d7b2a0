/** Line breaks (CRLF, LF or a lone CR) inside the values of one record. */
export function countLineBreaks(record: readonly string[]): number {
  let breaks = 0;
  for (const value of record) {
    // Two native scans rule out almost every value; only values with a break are walked.
    if (value.indexOf("\n") < 0 && value.indexOf("\r") < 0) continue;
    breaks += lineBreaksIn(value, 0, value.length);
  }
  return breaks;
}

/** Line breaks (CRLF, LF or a lone CR) in `text[from, to)`. */
export function lineBreaksIn(text: string, from: number, to: number): number {
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) breaks++;
    else if (c === 13) {
      breaks++;
      if (i + 1 < to && text.charCodeAt(i + 1) === 10) i++;
    }
  }
  return breaks;
}

/**
 * Hands `records`, which papaparse read from the start of `text` (one line ending throughout, so
 * each line break holds exactly one LF), to `onRecord` with the line breaks inside each, as
 * {@link countLineBreaks} counts them. Only a quoted value holds a break, and its opening quote
 * comes before the break: a record with no quote before the first LF from its start ends at that
 * LF, with none. Only the other records have their values scanned, so a record costs one or two
 * native searches of the text instead of two per value.
 */
export function handRecordsWithBreaks(
  text: string,
  records: readonly string[][],
  quote: string,
  onRecord: (record: string[], breaks: number) => void,
): void {
  let start = 0;
  let quoteAt = text.indexOf(quote);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    let breaks = 0;
    if (quoteAt >= 0 && quoteAt < end) {
      breaks = countLineBreaks(record);
      for (let b = 0; b < breaks && end < text.length; b++) {
        end = text.indexOf("\n", end + 1);
        if (end < 0) end = text.length;
      }
      quoteAt = text.indexOf(quote, end + 1);
    }
    start = end + 1;
    onRecord(record, breaks);
  }
}

const LF = 10;
const CR = 13;

/**
 * The line ending papaparse can split `text` on exactly: `"\n"` when it has no CR at all,
 * `"\r\n"` when every CR is followed by an LF and every LF preceded by a CR. A CR ending `text`
 * when more text follows may be the first half of a CRLF cut by a chunk: it stays with the
 * unfinished row. Anything else (lone CRs, or LF and CRLF mixed, even inside quotes) returns
 * undefined.
 */
export function singleLineEnding(text: string, last: boolean): "\n" | "\r\n" | undefined {
  let cr = text.indexOf("\r");
  if (cr < 0) return "\n";
  for (let lf = text.indexOf("\n"); lf >= 0; lf = text.indexOf("\n", lf + 1)) {
    if (text.charCodeAt(lf - 1) !== CR) return undefined;
  }
  for (; cr >= 0; cr = text.indexOf("\r", cr + 1)) {
    if (text.charCodeAt(cr + 1) !== LF && (last || cr !== text.length - 1)) return undefined;
  }
  return "\r\n";
}

/** Characters JavaScript's `\s` matches, which papaparse skips after a closing quote. */
const SPACE = /^\s$/;

/**
 * A test of whether text holds a quote followed by whitespace other than a line break or the
 * delimiter. A native search from quote to quote: a regular expression over the whole chunk
 * cost several times as much, and on most quotes one comparison of the next character
 * settles it (only a control or non-ASCII character is looked at further).
 */
export function spacedQuoteFinder(format: { quote: string; delimiter: string }): (text: string) => boolean {
  const { quote, delimiter } = format;
  return (text) => {
    for (let at = text.indexOf(quote); at >= 0; at = text.indexOf(quote, at + 1)) {
      const c = text.charCodeAt(at + 1);
      if (c !== 32 && (c > 13 || c < 9) && (c < 0x80 || Number.isNaN(c))) continue;
      const next = text.charAt(at + 1);
      if (next !== "\r" && next !== "\n" && next !== delimiter && SPACE.test(next)) return true;
    }
    return false;
  };
}
