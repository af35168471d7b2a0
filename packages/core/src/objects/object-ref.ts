/** Where an object lives and which version of it we mean, as S3 event notifications describe it. */
export interface ObjectRef {
  bucket: string;
  /** The decoded key (never URL-encoded). */
  key: string;
  /** Size in bytes (0 when the notification omits it, e.g. for some delete markers). */
  size: number;
  /** Entity tag without surrounding quotes. */
  eTag?: string;
  /** Present when the bucket has versioning enabled. */
  versionId?: string;
  /** Orders events for the same key; hex string compared by length, then lexically. */
  sequencer?: string;
}

/** True for zero-byte "folder markers" the S3 console creates (`reports/2026/`). */
export function isFolderMarker(ref: Pick<ObjectRef, "key" | "size">): boolean {
  return ref.key.endsWith("/") && ref.size === 0;
}

/** `s3://bucket/key` for logs and messages. */
export function formatObjectRef(ref: Pick<ObjectRef, "bucket" | "key">): string {
  return `s3://${ref.bucket}/${ref.key}`;
}
