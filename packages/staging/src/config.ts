/**
 * Tuning of the staging pipeline (transform and legacy wrapper alike). Every field has a default
 * in {@link DEFAULT_STAGING_CONFIG}.
 */
export interface StagingConfig {
  /** How many rejections a `sluice.object.quarantined` event quotes, so readers see why without the file. */
  firstRejectionsInEvent: number;
  /**
   * Longest record (CSV) or line (NDJSON, fixed-width), in characters, a parser holds. A runaway
   * quote or a file without line breaks would otherwise grow one record without bound; past this
   * the object is quarantined as `record-too-large`.
   */
  maxRecordChars: number;
  /** Encoded rows (or rejections) batched into one write, in characters: fewer, larger writes are faster. */
  writeChunkChars: number;
  /** gzip level of the staged rows: 1 is fastest, 9 smallest. Staging is transient, so speed wins. */
  gzipLevel: number;
  /** Buffer size of the internal output streams, in bytes: with backpressure, it bounds memory. */
  streamHighWaterMark: number;
}

/** Defaults of {@link StagingConfig}. */
export const DEFAULT_STAGING_CONFIG: Readonly<StagingConfig> = Object.freeze({
  firstRejectionsInEvent: 10,
  maxRecordChars: 1024 * 1024,
  writeChunkChars: 64 * 1024,
  gzipLevel: 1,
  streamHighWaterMark: 256 * 1024,
});

/** The defaults overridden by `overrides`. */
export function resolveStagingConfig(overrides: Partial<StagingConfig> = {}): StagingConfig {
  return { ...DEFAULT_STAGING_CONFIG, ...overrides };
}
