import { StringDecoder } from "node:string_decoder";
import { QuarantineError } from "@sluice/core";
import { QUARANTINE_REASONS } from "../reasons";
import { JSON_CHAR } from "./json-records";

const { quote: QUOTE, backslash: BACKSLASH, openBrace: OPEN_BRACE, closeBrace: CLOSE_BRACE } = JSON_CHAR;
const { openBracket: OPEN_BRACKET, closeBracket: CLOSE_BRACKET, comma: COMMA, colon: COLON } = JSON_CHAR;
const LF = 10;
const CR = 13;
const BOM = "\uFEFF";

/** Where the records are and how big one may be. */
export interface JsonArrayOptions {
  /** Dot path of the records array inside the top-level object; absent: the document is the array. */
  records?: string;
  /** Longest element, in characters; a longer one fails the object as `record-too-large`. */
  maxRecordChars: number;
}

/**
 * Receives each element of the records array: its JSON text and the physical line (1-based) it
 * starts on. Returning `false` stops reading (a sample needs only the first records).
 */
export type JsonElementHandler = (text: string, line: number) => boolean | undefined;

function isSpace(c: number): boolean {
  return c === 32 || c === LF || c === CR || c === 9;
}

function malformed(message: string, line: number): QuarantineError {
  return new QuarantineError(QUARANTINE_REASONS.malformedJson, `JSON ${message} (line ${line})`, { line });
}

function wrongFormat(message: string, line: number): QuarantineError {
  return new QuarantineError(QUARANTINE_REASONS.wrongFormat, message, { line });
}

/**
 * A read position in JSON text that arrives in chunks. Only the text from the value being read
 * (`mark`) or, when skipping, from the read position is held, so memory is one element.
 */
export class JsonCursor {
  readonly #chunks: AsyncIterator<Buffer>;
  readonly #decoder = new StringDecoder("utf8");
  #ended = false;
  #started = false;
  text = "";
  pos = 0;
  /** Start of the value being kept, or -1. */
  mark = -1;
  /** Physical line of `pos`. */
  line = 1;
  /** The text counted so far ends with a CR whose next character has not arrived: it may be half a CRLF. */
  #pendingCr = false;
  /** True when {@link text} holds a CR. */
  #hasCr = false;

  constructor(source: AsyncIterable<Buffer>) {
    this.#chunks = source[Symbol.asyncIterator]();
  }

  /** Appends the next chunk, dropping the text before `mark` (or `pos`); false at the end of the content. */
  async more(): Promise<boolean> {
    if (this.#ended) return false;
    const next = await this.#chunks.next();
    const added = next.done ? this.#decoder.end() : this.#decoder.write(next.value);
    if (next.done) this.#ended = true;
    const keep = this.mark >= 0 ? this.mark : this.pos;
    const bom = !this.#started && added.startsWith(BOM);
    if (added !== "") this.#started = true;
    this.text = this.text.slice(keep) + (bom ? added.slice(1) : added);
    this.#hasCr = this.text.includes("\r");
    this.pos -= keep;
    if (this.mark >= 0) this.mark -= keep;
    return added !== "" || !next.done;
  }

  /** Moves {@link line} over the line breaks (LF, CRLF, or a lone CR) of `text[start, end)`, the text after the last counted. */
  countLines(text: string, start: number, end: number): void {
    if (start >= end) return;
    if (this.#pendingCr && text.charCodeAt(start) !== LF) this.line++;
    this.#pendingCr = false;
    for (let i = text.indexOf("\n", start); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) this.line++;
    // Searched only in text that has a CR at all: a search that finds none scans to the end.
    if (!this.#hasCr) return;
    for (let i = text.indexOf("\r", start); i >= 0 && i < end; i = text.indexOf("\r", i + 1)) {
      if (i + 1 === text.length) this.#pendingCr = true;
      else if (text.charCodeAt(i + 1) !== LF) this.line++;
    }
  }

  /** The first non-space character code at or after `pos` (moved there), or -1 at the end. */
  async peek(): Promise<number> {
    for (;;) {
      const text = this.text;
      let i = this.pos;
      while (i < text.length && isSpace(text.charCodeAt(i))) i++;
      if (i > this.pos) {
        this.countLines(text, this.pos, i);
        this.pos = i;
      }
      if (i < text.length) {
        // A CR left pending is followed by this non-space character: it was a line break of its own.
        if (this.#pendingCr) this.countLines(text, i, i + 1);
        return text.charCodeAt(i);
      }
      if (!(await this.more())) return -1;
    }
  }

  /** Consumes `expected` (after spaces) or fails as malformed, naming what it found. */
  async expect(expected: number, what: string): Promise<void> {
    const c = await this.peek();
    if (c !== expected) throw malformed(`expected ${what}, found ${this.describe(c)}`, this.line);
    this.pos++;
  }

  describe(c: number): string {
    return c < 0 ? "the end of the content" : JSON.stringify(String.fromCharCode(c));
  }

  /**
   * Reads one complete JSON value starting at `pos` (after spaces) and returns its text when
   * `keep`, else skips it holding nothing. Brackets and strings are matched, so the end is found
   * without parsing; whether the text is valid JSON is the caller's business.
   */
  async value(keep: boolean, maxChars: number): Promise<string | undefined> {
    const first = await this.peek();
    if (first < 0) throw malformed("ended where a value was expected", this.line);
    if (first === CLOSE_BRACKET || first === CLOSE_BRACE || first === COMMA || first === COLON)
      throw malformed(`expected a value, found ${this.describe(first)}`, this.line);
    const startLine = this.line;
    if (keep) this.mark = this.pos;
    let depth = 0;
    let inString = false;
    let i = this.pos;
    for (;;) {
      const text = this.text;
      const length = text.length;
      let end = -1;
      while (i < length) {
        if (inString) {
          const quote = text.indexOf('"', i);
          if (quote < 0) {
            // Rescan a trailing run of backslashes once more text has come: it may escape a quote.
            i = length;
            while (i > this.pos && text.charCodeAt(i - 1) === BACKSLASH) i--;
            break;
          }
          let backslashes = 0;
          while (quote - backslashes - 1 >= i && text.charCodeAt(quote - backslashes - 1) === BACKSLASH)
            backslashes++;
          i = quote + 1;
          if (backslashes % 2 === 0) {
            inString = false;
            if (depth === 0) {
              end = i;
              break;
            }
          }
          continue;
        }
        const c = text.charCodeAt(i);
        if (c === QUOTE) inString = true;
        else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
        else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
          if (depth === 0) {
            end = i;
            break;
          }
          if (--depth === 0) {
            end = i + 1;
            break;
          }
        } else if (depth === 0 && (c === COMMA || isSpace(c))) {
          end = i;
          break;
        }
        i++;
      }
      const start = keep ? this.mark : this.pos;
      if (end >= 0) {
        this.countLines(text, this.pos, end);
        this.pos = end;
        this.mark = -1;
        return keep ? text.slice(start, end) : undefined;
      }
      if (keep && i - start > maxChars) {
        throw new QuarantineError(
          QUARANTINE_REASONS.recordTooLarge,
          `JSON record starting at line ${startLine} is longer than ${maxChars} characters`,
          { line: startLine },
        );
      }
      if (!keep) {
        this.countLines(text, this.pos, i);
        this.pos = i;
      }
      const base = keep ? this.mark : this.pos;
      const more = await this.more();
      i -= base - (keep ? this.mark : this.pos);
      if (!more) {
        // A scalar may end the content; anything open may not.
        if (depth > 0 || inString) {
          throw malformed(`breaks off inside a value that starts at line ${startLine}`, this.line);
        }
        this.countLines(this.text, this.pos, i);
        const kept = keep ? this.text.slice(this.mark, i) : undefined;
        this.pos = i;
        this.mark = -1;
        return kept;
      }
    }
  }

  /** Reads an object member's name (after spaces) and its colon. */
  async memberName(): Promise<string> {
    const c = await this.peek();
    if (c !== QUOTE) throw malformed(`expected a member name, found ${this.describe(c)}`, this.line);
    const text = await this.value(true, Number.MAX_SAFE_INTEGER);
    let name: string;
    try {
      name = JSON.parse(text!) as string;
    } catch {
      throw malformed(`has an invalid member name ${text!.slice(0, 100)}`, this.line);
    }
    await this.expect(COLON, '":"');
    return name;
  }

  /** Skips the members after the one just read up to and including the object's `}`. */
  async skipRestOfObject(): Promise<void> {
    for (;;) {
      const c = await this.peek();
      if (c === CLOSE_BRACE) {
        this.pos++;
        return;
      }
      if (c !== COMMA) throw malformed(`expected "," or "}", found ${this.describe(c)}`, this.line);
      this.pos++;
      await this.memberName();
      await this.value(false, 0);
    }
  }

  /**
   * Reads the elements of the array whose `[` was just consumed, up to and including its `]`.
   * With `onElement`, each element's text (at most `maxChars`) and starting line go to it, and
   * reading stops after the first element it returns `false` for (the result is then `false`);
   * without, the elements are skipped unread.
   */
  async arrayElements(onElement?: JsonElementHandler, maxChars = 0): Promise<boolean> {
    if ((await this.peek()) === CLOSE_BRACKET) {
      this.pos++;
      return true;
    }
    for (;;) {
      await this.peek();
      const line = this.line;
      const text = await this.value(onElement !== undefined, maxChars);
      const stop = onElement !== undefined && onElement(text!, line) === false;
      const next = await this.peek();
      if (next === CLOSE_BRACKET) {
        this.pos++;
        return !stop;
      }
      if (next !== COMMA) throw malformed(`expected "," or "]", found ${this.describe(next)}`, this.line);
      this.pos++;
      if (stop) return false;
    }
  }

  /** True when nothing but spaces is left. */
  async atEnd(): Promise<boolean> {
    return (await this.peek()) < 0;
  }
}

/**
 * Streams the records of a JSON document: the elements of its top-level array, or of the array
 * at the dot path `records` inside its top-level object (`features`, `data.items`). Each
 * element's text goes to `onElement` with the physical line it starts on; the document is never
 * held whole (one element at a time, at most `maxRecordChars`), and the members around the
 * records array are skipped unread.
 *
 * A document that is not JSON, whose top level is not an array (or object, with `records`), or
 * without an array at `records`, fails as `wrong-format`; one that breaks off or is broken between
 * elements (a bracket or string that never closes, a missing comma) as `malformed-json`. An
 * element's own syntax is left to the caller, which rejects just that record.
 */
export async function readJsonArray(
  source: AsyncIterable<Buffer>,
  options: JsonArrayOptions,
  onElement: JsonElementHandler,
): Promise<void> {
  const cursor = new JsonCursor(source);
  const path = options.records?.split(".") ?? [];
  const first = await cursor.peek();
  if (first < 0) throw wrongFormat("content is empty, not a JSON document", 1);
  for (let level = 0; level < path.length; level++) {
    const where = path.slice(0, level).join(".") || "the top level";
    const c = await cursor.peek();
    if (c !== OPEN_BRACE)
      throw wrongFormat(
        `expected an object at ${where} holding records at "${options.records}", found ${cursor.describe(c)}`,
        cursor.line,
      );
    cursor.pos++;
    if ((await cursor.peek()) === CLOSE_BRACE) throw missingRecords(options.records!, path[level]!, cursor);
    for (;;) {
      if ((await cursor.memberName()) === path[level]) break;
      await cursor.value(false, 0);
      const next = await cursor.peek();
      if (next === CLOSE_BRACE) throw missingRecords(options.records!, path[level]!, cursor);
      if (next !== COMMA) throw malformed(`expected "," or "}", found ${cursor.describe(next)}`, cursor.line);
      cursor.pos++;
    }
  }
  const open = await cursor.peek();
  if (open !== OPEN_BRACKET) {
    const where = options.records === undefined ? "The content" : `The value at "${options.records}"`;
    throw wrongFormat(`${where} is not a JSON array: it starts with ${cursor.describe(open)}`, cursor.line);
  }
  cursor.pos++;
  if (!(await cursor.arrayElements(onElement, options.maxRecordChars))) return;
  for (let level = path.length - 1; level >= 0; level--) await cursor.skipRestOfObject();
  if (!(await cursor.atEnd()))
    throw malformed(
      `has more after the end of the document: ${cursor.describe(await cursor.peek())}`,
      cursor.line,
    );
}

function missingRecords(records: string, step: string, cursor: JsonCursor): QuarantineError {
  return wrongFormat(`no records array at "${records}": the object has no member "${step}"`, cursor.line);
}
