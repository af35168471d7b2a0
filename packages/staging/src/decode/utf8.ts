import { isUtf8 } from "node:buffer";
import { QuarantineError } from "@sluice/core";
import { QUARANTINE_REASONS } from "../reasons";

/**
 * Length of the prefix of `bytes` that ends on a character boundary: a multi-byte sequence cut
 * by the end of a chunk is left for the next chunk.
 */
export function completeUtf8Length(bytes: Uint8Array): number {
  const length = bytes.length;
  let i = length - 1;
  // Step back over at most three continuation bytes (10xxxxxx) to the lead byte.
  while (i >= 0 && length - i <= 3 && (bytes[i]! & 0xc0) === 0x80) i--;
  if (i < 0) return length;
  const lead = bytes[i]!;
  const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return length - i < needed ? i : length;
}

/**
 * Offset of the first byte of `bytes` that does not start a valid UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF are invalid, as TextDecoder's fatal mode says), or
 * `bytes.length` when all are valid. Only run on the failure path, to name where it fails.
 */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let needed: number;
    let min: number;
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf) {
      needed = 1;
      min = 0x80;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      needed = 2;
      min = 0x800;
      cp = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      needed = 3;
      min = 0x10000;
      cp = b & 0x07;
    } else {
      return i;
    }
    if (i + needed >= bytes.length) return i;
    for (let k = 1; k <= needed; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += needed + 1;
  }
  return bytes.length;
}

function notUtf8(offset: number): QuarantineError {
  return new QuarantineError(
    QUARANTINE_REASONS.notUtf8,
    `content is not valid UTF-8 at byte offset ${offset} (of the decompressed content)`,
    { byteOffset: offset },
  );
}

/**
 * A pipeline stage that passes bytes through unchanged after checking they are strict UTF-8;
 * the first invalid byte fails the object as a `not-utf8` {@link QuarantineError} naming its
 * offset. Uses the native `isUtf8` on whole chunks, so checking costs little next to parsing.
 */
export function validateUtf8(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  return validateUtf8From(0)(source);
}

/** {@link validateUtf8} of content that starts `startOffset` bytes into the object (a part), so offsets stay the object's. */
export function validateUtf8From(startOffset: number) {
  return (source: AsyncIterable<Buffer>) => validateFrom(source, startOffset);
}

async function* validateFrom(source: AsyncIterable<Buffer>, startOffset: number): AsyncGenerator<Buffer> {
  let carry: Buffer | undefined;
  let offset = startOffset;
  for await (const chunk of source) {
    const bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
    const complete = completeUtf8Length(bytes);
    const head = bytes.subarray(0, complete);
    if (!isUtf8(head)) throw notUtf8(offset + firstInvalidUtf8Offset(head));
    // Copy the cut sequence: holding a view would keep the whole chunk alive.
    carry = complete < bytes.length ? Buffer.from(bytes.subarray(complete)) : undefined;
    offset += complete;
    if (head.length > 0) yield head;
  }
  if (carry) throw notUtf8(offset + firstInvalidUtf8Offset(carry));
}
