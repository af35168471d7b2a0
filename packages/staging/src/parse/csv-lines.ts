/** Line breaks (CRLF, LF or a lone CR) inside the values of one record. */
export function countLineBreaks(record: readonly string[]): number {
  let breaks = 0;
  for (const value of record) {
    // Two native scans rule out almost every value; only values with a break are walked.
    if (value.indexOf("\n") < 0 && value.indexOf("\r") < 0) continue;
    for (let i = 0; i < value.length; i++) {
      const c = value.charCodeAt(i);
      if (c === 10) breaks++;
      else if (c === 13) {
        breaks++;
        if (value.charCodeAt(i + 1) === 10) i++;
      }
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
