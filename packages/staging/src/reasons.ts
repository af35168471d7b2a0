/**
 * Reasons staging (transform or legacy wrapper) quarantines an object: the `reason` of `sluice.object.quarantined` and the
 * `code` of the {@link QuarantineError} behind it. Stable strings: alerts and `sluice status` match on them.
 */
export const QUARANTINE_REASONS = {
  /** More rows were rejected than the contract's `quarantine.maxBadRowRatio` allows. */
  badRowRatio: "bad-row-ratio",
  /** The (decompressed) content is not valid UTF-8. */
  notUtf8: "not-utf8",
  /** The content is another kind of file (zip, parquet, …) than the contract's format. */
  wrongFormat: "wrong-format",
  /** The content starts like gzip but does not decompress. */
  corruptGzip: "corrupt-gzip",
  /** The CSV header lacks a column for a required contract field. */
  missingColumn: "missing-column",
  /** The CSV cannot be parsed at all (e.g. a quote that never closes). */
  malformedCsv: "malformed-csv",
  /** One record is longer than `maxRecordChars`. */
  recordTooLarge: "record-too-large",
  /** The object named by the event no longer exists. */
  notFound: "not-found",
} as const;

/** One of {@link QUARANTINE_REASONS}. */
export type QuarantineReason = (typeof QUARANTINE_REASONS)[keyof typeof QUARANTINE_REASONS];
