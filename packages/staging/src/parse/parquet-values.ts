import type { ParquetParsers, SchemaElement } from "hyparquet";

const DAY_MS = 86_400_000;

/** `YYYY-MM-DDTHH:MM:SS` of whole `seconds` since 1970 (UTC), or undefined outside JS dates. */
function isoSeconds(seconds: bigint): string | undefined {
  const ms = Number(seconds) * 1000;
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return undefined;
  return new Date(ms).toISOString().slice(0, 19);
}

/** An instant of `ticks` units of 10^-`digits` seconds as ISO 8601 UTC, every digit kept. */
function isoInstant(ticks: bigint, digits: number): string {
  const unit = 10n ** BigInt(digits);
  let seconds = ticks / unit;
  let fraction = ticks % unit;
  if (fraction < 0n) {
    seconds -= 1n;
    fraction += unit;
  }
  const whole = isoSeconds(seconds);
  // Out of range: the raw number, which the validator then rejects as no timestamp.
  if (whole === undefined) return String(ticks);
  return `${whole}.${fraction.toString().padStart(digits, "0")}Z`;
}

/**
 * How dates and timestamps leave the Parquet reader: as the ISO 8601 text the validator reads
 * (dates `YYYY-MM-DD`, instants in UTC with all of their milli-, micro- or nanoseconds; a
 * timestamp not adjusted to UTC is taken as UTC, as a zoneless text timestamp is), never as a
 * JS `Date`, which would drop microseconds.
 */
export const PARQUET_PARSERS: Partial<ParquetParsers> = {
  timestampFromMilliseconds: (millis) => isoInstant(BigInt(millis), 3),
  timestampFromMicroseconds: (micros) => isoInstant(BigInt(micros), 6),
  timestampFromNanoseconds: (nanos) => isoInstant(BigInt(nanos), 9),
  dateFromDays: (days) => {
    const ms = days * DAY_MS;
    return Math.abs(ms) > 8.64e15 ? String(days) : new Date(ms).toISOString().slice(0, 10);
  },
};

/** The exact decimal text of `unscaled` × 10^-`scale`. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    digits = digits.padStart(scale + 1, "0");
    digits = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  }
  return negative ? `-${digits}` : digits;
}

/** A big-endian two's complement integer. */
function signedBigEndian(bytes: Uint8Array): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  if (bytes.length > 0 && bytes[0]! >= 0x80) value -= 1n << BigInt(bytes.length * 8);
  return value;
}

/** True for a DECIMAL column whose stored integers the reader formats itself (hyparquet would round them to a float). */
export function isExactDecimal(element: SchemaElement): boolean {
  const decimal = element.converted_type === "DECIMAL" || element.logical_type?.type === "DECIMAL";
  return (
    decimal &&
    (element.type === "INT32" || element.type === "INT64" || element.type === "FIXED_LEN_BYTE_ARRAY")
  );
}

/** The decimal text of a stored DECIMAL value (an int32, int64 or bytes) of `scale`. */
export function decimalValue(raw: unknown, scale: number): unknown {
  if (raw === null || raw === undefined) return raw;
  if (raw instanceof Uint8Array) return decimalText(signedBigEndian(raw), scale);
  if (typeof raw === "number" || typeof raw === "bigint") return decimalText(BigInt(raw), scale);
  return raw;
}

/**
 * A value read from Parquet as the raw value the row validator takes: 64-bit integers as their
 * exact decimal text, bytes without a text annotation as base64, nested lists and structs as
 * plain arrays and objects whose leaves are converted alike (an int64 inside them becomes a JSON
 * number when it is exact as one, else its text), so a `json` field serialises them.
 */
export function parquetValue(raw: unknown): unknown {
  if (typeof raw === "bigint") return raw.toString();
  if (raw === null || typeof raw !== "object") return raw;
  return nestedValue(raw);
}

function nestedValue(raw: unknown): unknown {
  if (typeof raw === "bigint") {
    const n = Number(raw);
    return Number.isSafeInteger(n) ? n : raw.toString();
  }
  if (raw === null || typeof raw !== "object") return raw;
  if (raw instanceof Uint8Array)
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("base64");
  if (raw instanceof Date) return raw.toISOString();
  if (Array.isArray(raw)) return raw.map(nestedValue);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) out[key] = nestedValue(value);
  return out;
}
