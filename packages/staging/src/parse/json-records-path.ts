import { QuarantineError } from "@sluice/core";
import { JsonCursor } from "./json-array";
import { JSON_CHAR } from "./json-records";

const { openBrace: OPEN_BRACE, closeBrace: CLOSE_BRACE, openBracket: OPEN_BRACKET, comma: COMMA } = JSON_CHAR;

/**
 * Looks through the members of the object at the cursor for an array whose first element is an
 * object, down to `maxDepth` levels of objects; an object without one is read to its `}`.
 */
async function recordsPathIn(
  cursor: JsonCursor,
  path: readonly string[],
  maxDepth: number,
): Promise<string | undefined> {
  await cursor.expect(OPEN_BRACE, '"{"');
  if ((await cursor.peek()) === CLOSE_BRACE) {
    cursor.pos++;
    return undefined;
  }
  for (;;) {
    const name = await cursor.memberName();
    const value = await cursor.peek();
    if (value === OPEN_BRACKET) {
      cursor.pos++;
      if ((await cursor.peek()) === OPEN_BRACE) return [...path, name].join(".");
      await cursor.arrayElements();
    } else if (value === OPEN_BRACE && path.length + 1 < maxDepth) {
      const inner = await recordsPathIn(cursor, [...path, name], maxDepth);
      if (inner !== undefined) return inner;
    } else {
      await cursor.value(false, 0);
    }
    if ((await cursor.peek()) === CLOSE_BRACE) {
      cursor.pos++;
      return undefined;
    }
    await cursor.expect(COMMA, '","');
  }
}

/**
 * Where the records are in a JSON document that is an object: the dot path of its first array
 * whose first element is an object (GeoJSON's `features`, `data.items`), as a `json` format's
 * `records` names it. Objects are looked into down to `maxDepth` levels (1: top-level members
 * only); the members before the array are skipped as `readJsonArray` skips them, bracket-matched
 * and never parsed, so the text may be a sample of the document. Undefined when the document is
 * not an object, holds no such array, or is broken or ends before one starts.
 */
export async function findJsonRecordsPath(
  source: AsyncIterable<Buffer>,
  maxDepth: number,
): Promise<string | undefined> {
  const cursor = new JsonCursor(source);
  try {
    return (await cursor.peek()) === OPEN_BRACE ? await recordsPathIn(cursor, [], maxDepth) : undefined;
  } catch (error) {
    if (error instanceof QuarantineError) return undefined;
    throw error;
  }
}
