import { StringDecoder } from "node:string_decoder";
import { type DatasetContract, QuarantineError } from "@sluice/core";
import type { StagingConfig } from "../config";
import { QUARANTINE_REASONS } from "../reasons";
import type { RecordSink } from "../staging-writer";
import { jsonRecordHandler } from "./json-records";
import { OBJECT_START, type RecordParser, type TextStart } from "./record-parser";

/** A contract's fixed-width format. */
export type FixedWidthFormat = Extract<DatasetContract["format"], { type: "fixed-width" }>;

const BOM = "\uFEFF";

/** Any UTF-16 surrogate: the line holds a character outside the Basic Multilingual Plane. */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Handles one line (without its line break) found at 1-based `line`. */
export type LineHandler = (text: string, line: number) => void;

/**
 * Splits UTF-8 text into lines (LF or CRLF) and hands each to `handle` with its physical line
 * number, counted from `start` (a part of the object starts past line 1); a BOM at the object's
 * start is dropped. Lines are found as bytes arrive, so only a partial line is ever held, and a
 * line longer than `maxRecordChars` fails the object as `record-too-large`.
 */
export async function readLines(
  source: AsyncIterable<Buffer>,
  config: StagingConfig,
  handle: LineHandler,
  start: TextStart = OBJECT_START,
): Promise<void> {
  const decoder = new StringDecoder("utf8");
  let partial = "";
  let line = start.firstLine - 1;
  let first = start.atObjectStart;
  const take = (text: string) => {
    let start = 0;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n", start)) {
      line++;
      const stop = end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
      handle(text.slice(start, stop), line);
      start = end + 1;
    }
    partial = text.slice(start);
    if (partial.length > config.maxRecordChars) {
      throw new QuarantineError(
        QUARANTINE_REASONS.recordTooLarge,
        `line ${line + 1} is longer than ${config.maxRecordChars} characters`,
        { line: line + 1 },
      );
    }
  };
  for await (const chunk of source) {
    let text = partial + decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.startsWith(BOM)) text = text.slice(1);
      first = false;
    }
    take(text);
  }
  const rest = partial + decoder.end();
  if (rest !== "") {
    line++;
    handle(rest.endsWith("\r") ? rest.slice(0, -1) : rest, line);
  }
}

/** {@link readLines} as the last stage of the staging pipeline. */
function lineStages(handle: LineHandler, config: StagingConfig, start: TextStart): RecordParser["stages"] {
  return [(source: AsyncIterable<Buffer>) => readLines(source, config, handle, start)];
}

function isBlank(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) return false;
  }
  return true;
}

/**
 * An NDJSON {@link RecordParser}: one JSON object per line, its fields read by name or dot path
 * (`field.source ?? field.name`). A line that is not valid JSON, not an object, or nested deeper
 * than `maxJsonDepth` is a rejection with field `(row)`; blank lines are skipped.
 */
export function ndjsonParser(
  contract: DatasetContract,
  sink: RecordSink,
  config: StagingConfig,
  start: TextStart = OBJECT_START,
): RecordParser {
  const record = jsonRecordHandler(contract, sink, config);
  const handle: LineHandler = (text, line) => {
    if (!isBlank(text)) record(text, line);
  };
  return { stages: lineStages(handle, config, start), explain: (error) => error };
}

/**
 * A fixed-width {@link RecordParser}: each field is cut from its line at the contract's character
 * (code point) offset and width, and trimmed. Empty lines are skipped; a short line leaves its last fields
 * empty (which a required field rejects).
 */
export function fixedWidthParser(
  contract: DatasetContract,
  format: FixedWidthFormat,
  sink: RecordSink,
  config: StagingConfig,
  start: TextStart = OBJECT_START,
): RecordParser {
  const cuts = contract.fields.map((field) => {
    const column = format.columns.find((c) => c.field === field.name);
    return column ? { start: column.start, end: column.start + column.length } : undefined;
  });
  const values: unknown[] = new Array(cuts.length);
  const handle: LineHandler = (text, line) => {
    if (text === "") return;
    // Offsets count characters (code points), as the legacy program does. A character outside
    // the BMP is two UTF-16 units, so only a line holding one is split into code points first.
    const points = SURROGATE.test(text) ? Array.from(text) : undefined;
    for (let i = 0; i < cuts.length; i++) {
      const cut = cuts[i];
      if (cut === undefined) values[i] = undefined;
      else if (points) values[i] = points.slice(cut.start, cut.end).join("").trim();
      else values[i] = text.slice(cut.start, cut.end).trim();
    }
    sink.record(values, line);
  };
  return { stages: lineStages(handle, config, start), explain: (error) => error };
}
