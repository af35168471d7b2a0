/**
 * Reasons staging (transform or legacy wrapper) quarantines an object: the `reason` of `sluice.object.quarantined` and the
 * `code` of the {@link QuarantineError} behind it. Stable strings: alerts and `sluice status` match on them.
 */
export const QUARANTINE_REASONS = {
  /** More rows were rejected than the contract's `quarantine.maxBadRowRatio` allows. */
  badRowRatio: "bad-row-ratio",
  /** The (decompressed) content is not valid UTF-8. */
  notUtf8: "not-utf8",
  /**
   * The content is another kind of file than the contract's format: zip, Parquet, … for a text
   * format; not a JSON array (or no array at the `records` path) for `json`; not Parquet for `parquet`.
   */
  wrongFormat: "wrong-format",
  /** The content starts like gzip but does not decompress. */
  corruptGzip: "corrupt-gzip",
  /** A gzip object expands past `maxDecompressedBytes` or `maxDecompressionRatio`. */
  decompressionLimit: "decompression-limit",
  /** The CSV header lacks a column for a required contract field. */
  missingColumn: "missing-column",
  /** The CSV header names one column twice, so which one a field reads is ambiguous. */
  duplicateColumn: "duplicate-column",
  /** The CSV cannot be parsed at all (e.g. a quote that never closes). */
  malformedCsv: "malformed-csv",
  /** The JSON document breaks off or is broken between its records (a bracket or string never closes). */
  malformedJson: "malformed-json",
  /** The Parquet file's footer or pages cannot be read. */
  malformedParquet: "malformed-parquet",
  /** One record is longer than `maxRecordChars`. */
  recordTooLarge: "record-too-large",
  /** The object named by the event no longer exists. */
  notFound: "not-found",
} as const;

/** One of {@link QUARANTINE_REASONS}. */
export type QuarantineReason = (typeof QUARANTINE_REASONS)[keyof typeof QUARANTINE_REASONS];

/**
 * Stable leading words of the `reason` of a row rejected before validation, so a rejection can be
 * grouped by kind (`sluice contract check`, `sluice rejects`).
 */
export const ROW_REJECTION_REASONS = {
  /** The record nests objects and arrays deeper than `maxJsonDepth`. */
  tooDeep: "too-deep",
} as const;
