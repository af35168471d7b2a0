import { Readable } from "node:stream";
import { findJsonRecordsPath } from "@sluice/staging";
import type { SniffedFormat } from "./records";

/** How deep into a JSON document the records array is looked for (`features`, `data.items`). */
const MAX_RECORDS_PATH_DEPTH = 3;

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
 * Sniffs a JSON or NDJSON sample, or undefined when the text is neither (then it is CSV): one
 * object per line is NDJSON; a document that is an array is `json`; a document that is an object
 * is `json` with `records` at its first array of objects (staging's `findJsonRecordsPath`).
 */
export async function sniffJson(text: string): Promise<SniffedFormat | undefined> {
  const start = text.search(/[^ \t\r\n]/);
  if (text[start] === "[")
    return { format: { type: "json" }, notes: ["format: json, the document is an array of records"] };
  if (text[start] !== "{") return undefined;
  if (isNdjson(text))
    return { format: { type: "ndjson" }, notes: ["format: ndjson (one JSON object per line)"] };
  const records = await findJsonRecordsPath(Readable.from([Buffer.from(text)]), MAX_RECORDS_PATH_DEPTH);
  if (records === undefined) return undefined;
  return {
    format: { type: "json", records },
    notes: [`format: json, records: "${records}" (the first array of objects in the document)`],
  };
}
