import { columnsOfRecords, type SampledRecords } from "./records";

/** How deep into a JSON document the records array is looked for (`features`, `data.items`). */
const MAX_RECORDS_PATH_DEPTH = 3;

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text[i] === " " || text[i] === "\n" || text[i] === "\r" || text[i] === "\t"))
    i++;
  return i;
}

/** The index after the string starting at `i` (a quote), or -1 when the sample ends inside it. */
function skipString(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return -1;
}

/** The index after the JSON value starting at `i`, or -1 when the sample ends inside it. */
function skipValue(text: string, i: number): number {
  if (text[i] === '"') return skipString(text, i);
  if (text[i] !== "{" && text[i] !== "[") {
    const end = text.slice(i).search(/[,\]}\s]/);
    return end < 0 ? -1 : i + end;
  }
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '"') {
      j = skipString(text, j) - 1;
      if (j < 0) return -1;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  return -1;
}

/** The complete elements of the array starting at `i` (a `[`), parsed; a truncated last one is left out. */
function arrayElements(text: string, i: number): unknown[] {
  const elements: unknown[] = [];
  let j = skipSpace(text, i + 1);
  while (j < text.length && text[j] !== "]") {
    const end = skipValue(text, j);
    if (end < 0) break;
    elements.push(JSON.parse(text.slice(j, end)));
    j = skipSpace(text, end);
    if (text[j] === ",") j = skipSpace(text, j + 1);
  }
  return elements;
}

/**
 * Where the records are in a document that is an object: the dot path of the first array of
 * objects (GeoJSON's `features`), looked for down to {@link MAX_RECORDS_PATH_DEPTH} levels.
 */
function findRecordsArray(
  text: string,
  i: number,
  path: string[] = [],
): { path: string; start: number } | undefined {
  let j = skipSpace(text, i + 1);
  while (j < text.length && text[j] === '"') {
    const keyEnd = skipString(text, j);
    if (keyEnd < 0) return undefined;
    const key = JSON.parse(text.slice(j, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1);
    if (text[valueStart] === "[" && text[skipSpace(text, valueStart + 1)] === "{")
      return { path: [...path, key].join("."), start: valueStart };
    if (text[valueStart] === "{" && path.length + 1 < MAX_RECORDS_PATH_DEPTH) {
      const inner = findRecordsArray(text, valueStart, [...path, key]);
      if (inner) return inner;
    }
    const end = skipValue(text, valueStart);
    if (end < 0) return undefined;
    j = skipSpace(text, end);
    if (text[j] === ",") j = skipSpace(text, j + 1);
  }
  return undefined;
}

/** True when the text is one JSON object per line (its first two lines each a whole object). */
function isNdjson(text: string): boolean {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  if (lines.length < 2) return false;
  try {
    return lines.slice(0, 2).every((line) => {
      const value = JSON.parse(line);
      return typeof value === "object" && value !== null && !Array.isArray(value);
    });
  } catch {
    return false;
  }
}

/**
 * Reads a JSON or NDJSON sample, or undefined when the text is neither (then it is CSV): one
 * object per line is NDJSON; a document that is an array of objects is `json`; a document that
 * is an object is `json` with `records` at its first array of objects. The sample's last record
 * may be cut off: only complete records are read.
 */
export function readJsonSample(text: string): SampledRecords | undefined {
  const start = skipSpace(text, 0);
  if (text[start] !== "[" && text[start] !== "{") return undefined;
  if (text[start] === "{" && isNdjson(text)) {
    const records = text
      .split("\n")
      .filter((line) => line.trim() !== "")
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as unknown];
        } catch {
          return [];
        }
      });
    return typedRecords({ type: "ndjson" }, records, ["format: ndjson (one JSON object per line)"]);
  }
  if (text[start] === "[") {
    return typedRecords({ type: "json" }, arrayElements(text, start), [
      "format: json, the document is an array of records",
    ]);
  }
  const found = findRecordsArray(text, start);
  if (!found) return undefined;
  return typedRecords({ type: "json", records: found.path }, arrayElements(text, found.start), [
    `format: json, records: "${found.path}" (the first array of objects in the document)`,
  ]);
}

function typedRecords(format: SampledRecords["format"], records: unknown[], notes: string[]): SampledRecords {
  return { format, columns: columnsOfRecords(records), rows: records.length, typed: true, notes };
}
