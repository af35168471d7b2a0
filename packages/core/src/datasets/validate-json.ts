import type { Fail, FieldCheck } from "./field-check";

/**
 * How deep a `json` value may nest (arrays and objects inside each other) before it is refused:
 * the readers' default record depth, and far below the depth at which Postgres's jsonb input
 * runs out of stack (`stack depth limit exceeded`, near 10^5 levels with the default 2 MB).
 */
export const DEFAULT_MAX_JSON_DEPTH = 64;

const NUL = "contains \\u0000 (a NUL character), which Postgres jsonb refuses";
const LONE_SURROGATE = "contains a lone UTF-16 surrogate (half a character), which Postgres jsonb refuses";

/**
 * A check of `json` fields, whose values are stored as Postgres `jsonb`:
 * - a value from a JSON source (NDJSON, JSON, Parquet) — object, array, number, boolean or
 *   string — becomes its JSON text; a string stays a JSON string;
 * - text from a CSV or fixed-width column (`stringsAreText` false) must itself be JSON and is
 *   kept as written (jsonb normalises it, and keeps numbers JS would round).
 * Refused, as jsonb would refuse them: invalid JSON, `\u0000`, a lone surrogate (as a character
 * or as a `\uXXXX` escape), NaN/Infinity, and nesting deeper than `maxDepth`.
 */
export function compileJson(fail: Fail, stringsAreJsonText: boolean, maxDepth: number): FieldCheck {
  const tooDeep = `nested deeper than ${maxDepth} levels`;
  return (raw) => {
    let text: string;
    if (typeof raw === "string" && stringsAreJsonText) {
      try {
        JSON.parse(raw);
      } catch {
        return fail("not valid JSON");
      }
      if (!raw.isWellFormed()) return fail(LONE_SURROGATE);
      text = raw;
    } else if (typeof raw === "number" && !Number.isFinite(raw)) {
      return fail("not a finite number, which JSON cannot hold");
    } else if (typeof raw === "bigint") {
      return raw.toString();
    } else {
      try {
        // A string's lone surrogates and NULs come out as \u escapes, which the scan finds.
        text = JSON.stringify(raw);
      } catch {
        return fail("cannot be written as JSON (a bigint, a cycle, or nesting too deep)");
      }
      if (text === undefined) return fail("cannot be written as JSON");
    }
    const problem = jsonTextProblem(text, maxDepth);
    return problem === undefined ? text : fail(problem === TOO_DEEP ? tooDeep : problem);
  };
}

const TOO_DEEP = "too deep";

/** The hex digit `code` is worth, or -1. */
function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  const lower = code | 0x20;
  return lower >= 97 && lower <= 102 ? lower - 87 : -1;
}

/** The code unit of the `\uXXXX` escape whose `u` is at `u`, or -1 when it is not one. */
function escapedUnit(text: string, u: number): number {
  if (text.charCodeAt(u) !== 117) return -1;
  let unit = 0;
  for (let i = u + 1; i <= u + 4; i++) {
    const digit = hexValue(text.charCodeAt(i));
    if (digit < 0) return -1;
    unit = unit * 16 + digit;
  }
  return unit;
}

/**
 * Why jsonb would refuse the valid JSON `text`, or undefined: a `\u0000` escape, a `\uXXXX`
 * surrogate escape not paired high-then-low (Postgres pairs escapes only with escapes), or
 * nesting past `maxDepth` ({@link TOO_DEEP}). One pass, without recursion.
 */
function jsonTextProblem(text: string, maxDepth: number): string | undefined {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 34) inString = false;
      else if (code === 92) {
        const unit = escapedUnit(text, i + 1);
        if (unit === 0) return NUL;
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const low = text.charCodeAt(i + 6) === 92 ? escapedUnit(text, i + 7) : -1;
          if (!(low >= 0xdc00 && low <= 0xdfff)) return LONE_SURROGATE;
          i += 6;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
          return LONE_SURROGATE;
        }
        i += unit >= 0 ? 5 : 1;
      }
    } else if (code === 34) inString = true;
    else if (code === 91 || code === 123) {
      if (++depth > maxDepth) return TOO_DEEP;
    } else if (code === 93 || code === 125) depth--;
  }
  return undefined;
}
