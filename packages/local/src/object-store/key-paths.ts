import { createHash } from "node:crypto";

/** Bytes kept as they are in a file name; every other byte is written `%XX`. */
const SAFE_BYTE = /^[A-Za-z0-9_.-]$/;

/** Encoded segments longer than this are shortened with a hash (file names stop at 255 bytes). */
const MAX_SEGMENT_LENGTH = 180;

/** Characters of the readable part kept before the hash of a shortened segment. */
const SHORTENED_PREFIX_LENGTH = 100;

/**
 * A key segment (the text between two `/`) as one file or directory name, deterministically
 * and injectively: bytes outside `[A-Za-z0-9_.-]` become `%XX` of their UTF-8 bytes (so
 * unicode, spaces, `+`, `%` survive any file system, including ones that normalise unicode),
 * a leading `.` is escaped (no `.`, `..` or hidden names), an empty segment is `~`, and long
 * segments keep a readable prefix plus `~` and a SHA-256. `~` never occurs in an escaped
 * segment, so names that contain it cannot collide with plain ones.
 */
export function encodeKeySegment(segment: string): string {
  if (segment === "") return "~";
  let encoded = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    const char = String.fromCharCode(byte);
    encoded += SAFE_BYTE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  if (encoded.startsWith(".")) encoded = `%2E${encoded.slice(1)}`;
  if (encoded.length <= MAX_SEGMENT_LENGTH) return encoded;
  const digest = createHash("sha256").update(segment).digest("hex").slice(0, 40);
  return `${encoded.slice(0, SHORTENED_PREFIX_LENGTH)}~${digest}`;
}

/** Where an object key lives under its bucket directory. */
export interface KeyPath {
  /** Directory names, one per key segment before the last `/`. */
  dirs: string[];
  /** The encoded last segment: object files are named after it. */
  base: string;
}

/**
 * The path of `key` under its bucket directory. Object files carry a `.~` suffix
 * (see {@link sidecarName}, {@link bodyName}) that no directory name can end with, so the keys
 * `a` and `a/b` can both exist, as in S3.
 */
export function keyPathOf(key: string): KeyPath {
  const segments = key.split("/");
  const last = segments.pop()!;
  return { dirs: segments.map(encodeKeySegment), base: encodeKeySegment(last) };
}

/** The directories to walk when listing keys that start with `prefix`: its complete segments. */
export function prefixDirsOf(prefix: string): string[] {
  return keyPathOf(prefix).dirs;
}

/** File name of an object's metadata sidecar (its existence means the object exists). */
export function sidecarName(base: string): string {
  return `${base}.~meta.json`;
}

/** File name of one generation of an object's body. */
export function bodyName(base: string, generation: string): string {
  return `${base}.~${generation}.obj`;
}

/** True for metadata sidecar file names. */
export function isSidecarName(name: string): boolean {
  return name.endsWith(".~meta.json");
}
