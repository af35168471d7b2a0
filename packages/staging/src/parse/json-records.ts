import type { DatasetContract } from "@sluice/core";
import type { StagingConfig } from "../config";
import { ROW_REJECTION_REASONS } from "../reasons";
import type { RecordSink } from "../staging-writer";
import { compileRecordFieldReader } from "./record-fields";

/** Longest record text quoted back in a row rejection. */
const MAX_QUOTED_RECORD = 200;
/** Character codes of JSON's structure. */
export const JSON_CHAR = {
  quote: 34,
  backslash: 92,
  openBrace: 123,
  closeBrace: 125,
  openBracket: 91,
  closeBracket: 93,
  comma: 44,
  colon: 58,
} as const;
const { quote: QUOTE, backslash: BACKSLASH, openBrace: OPEN_BRACE, closeBrace: CLOSE_BRACE } = JSON_CHAR;
const { openBracket: OPEN_BRACKET, closeBracket: CLOSE_BRACKET } = JSON_CHAR;

/** True when `text` holds more than `limit` of the characters `{` and `[` (in strings or not). */
function opensMoreThan(text: string, limit: number): boolean {
  let count = 0;
  for (let i = text.indexOf("{"); i >= 0; i = text.indexOf("{", i + 1)) if (++count > limit) return true;
  for (let i = text.indexOf("["); i >= 0; i = text.indexOf("[", i + 1)) if (++count > limit) return true;
  return false;
}

/**
 * True when the JSON text `text` nests objects and arrays more than `limit` levels deep (a
 * record's own object is level 1). Brackets inside strings do not count; the text need not be
 * valid JSON. Nothing recursive: any depth is measured in constant stack.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  // Most records have far fewer brackets than the limit: two native scans settle them.
  if (!opensMoreThan(text, limit)) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < text.length; i++) {
        const s = text.charCodeAt(i);
        if (s === BACKSLASH) i++;
        else if (s === QUOTE) break;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** `text` cut to {@link MAX_QUOTED_RECORD} characters for a rejection. */
export function quotedRecord(text: string): string {
  return text.length > MAX_QUOTED_RECORD ? `${text.slice(0, MAX_QUOTED_RECORD)}…` : text;
}

/** Handles the JSON text of one record found at 1-based `line`. */
export type JsonRecordHandler = (text: string, line: number) => void;

/**
 * Handles the JSON text of one record (an NDJSON line, a JSON array's element): a record nested
 * deeper than `maxJsonDepth` is rejected as `too-deep` before it is parsed, text that is not
 * JSON or not an object is rejected as `(row)`; an object's fields are read by name or dot path
 * (`compileRecordFieldReader`) and handed to `sink`.
 */
export function jsonRecordHandler(
  contract: DatasetContract,
  sink: RecordSink,
  config: StagingConfig,
): JsonRecordHandler {
  const read = compileRecordFieldReader(contract.fields);
  const values: unknown[] = new Array(contract.fields.length);
  const limit = config.maxJsonDepth;
  return (text, line) => {
    if (exceedsJsonDepth(text, limit)) {
      sink.reject({
        line,
        field: "(row)",
        reason: `${ROW_REJECTION_REASONS.tooDeep}: JSON nested deeper than ${limit} levels`,
        value: quotedRecord(text),
      });
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      sink.reject({
        line,
        field: "(row)",
        reason: `invalid JSON: ${(error as Error).message}`,
        value: quotedRecord(text),
      });
      return;
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      sink.reject({ line, field: "(row)", reason: "not a JSON object", value: quotedRecord(text) });
      return;
    }
    read(parsed as Record<string, unknown>, values);
    sink.record(values, line);
  };
}
