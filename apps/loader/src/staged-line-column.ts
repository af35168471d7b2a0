import { Transform, type TransformCallback } from "node:stream";

const COMMA = 0x2c;
const QUOTE = 0x22;
const NEWLINE = 0x0a;

/**
 * Drops the first column (`_sluice_line`, STAGED_LINE_COLUMN) of staged rows on their way into a
 * COPY whose table has no such column: COPY cannot skip an input column. The rows are Postgres
 * CSV as staging writes them: a record starts after a line break outside quotes, and its first
 * field is digits, never quoted. Each chunk is compacted in place (the output is never longer),
 * jumping from quote to line break with `indexOf`, so this costs a fraction of what COPY does.
 */
export function dropStagedLineColumn(): Transform {
  let atRecordStart = true;
  let inQuotes = false;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      const end = chunk.length;
      let read = 0;
      let write = 0;
      // Positions of the next quote and line break at or after `read`; -1 when the chunk has none left.
      let quote = -2;
      let newline = -2;
      while (read < end) {
        if (atRecordStart) {
          const comma = chunk.indexOf(COMMA, read);
          if (comma === -1) break; // the line number goes on in the next chunk
          read = comma + 1;
          atRecordStart = false;
        }
        const start = read;
        while (read < end) {
          if (quote !== -1 && quote < read) quote = chunk.indexOf(QUOTE, read);
          if (inQuotes) {
            read = quote === -1 ? end : quote + 1;
            inQuotes = quote === -1;
            continue;
          }
          if (newline !== -1 && newline < read) newline = chunk.indexOf(NEWLINE, read);
          if (quote !== -1 && (newline === -1 || quote < newline)) {
            read = quote + 1;
            inQuotes = true;
          } else {
            read = newline === -1 ? end : newline + 1;
            atRecordStart = newline !== -1;
            break;
          }
        }
        chunk.copyWithin(write, start, read);
        write += read - start;
      }
      callback(null, write > 0 ? chunk.subarray(0, write) : undefined);
    },
  });
}
