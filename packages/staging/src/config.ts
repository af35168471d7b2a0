import { intFromEnv, intInRangeFromEnv } from "@sluice/core";

/**
 * Tuning of the staging pipeline (transform and legacy wrapper alike). Every field has a default
 * in {@link DEFAULT_STAGING_CONFIG}; the limits that protect the pipeline can also be set from the
 * environment ({@link STAGING_CONFIG_ENV}).
 */
export interface StagingConfig {
  /** How many rejections a `sluice.object.quarantined` event quotes, so readers see why without the file. */
  firstRejectionsInEvent: number;
  /**
   * Longest record (CSV, a JSON array's element) or line (NDJSON, fixed-width), in characters, a
   * parser holds. A runaway quote or a file without line breaks would otherwise grow one record
   * without bound; past this the object is quarantined as `record-too-large`.
   */
  maxRecordChars: number;
  /**
   * Deepest nesting of objects and arrays a JSON record may have (the record itself is level 1).
   * A deeper record is rejected (`too-deep`): nothing recursive ever walks it.
   */
  maxJsonDepth: number;
  /**
   * Most bytes a gzip object may expand to. Past it the object is quarantined as
   * `decompression-limit`, as soon as the limit is crossed (a gzip bomb is never expanded whole).
   */
  maxDecompressedBytes: number;
  /**
   * Largest expansion (decompressed / compressed bytes so far) a gzip object may have once it has
   * expanded past {@link decompressionRatioFloorBytes}; past it, `decompression-limit`.
   */
  maxDecompressionRatio: number;
  /** Decompressed size below which the ratio is not checked: a small file of blanks compresses 1000:1 harmlessly. */
  decompressionRatioFloorBytes: number;
  /** Rows of a Parquet row group handed to the validator between two waits for the staging outputs. */
  parquetBatchRows: number;
  /**
   * Compressed bytes of a Parquet row group read at once: a larger group is read in row slices of
   * about this much (fetching only their pages when the file has an offset index), which bounds
   * memory whatever size the writer gave its row groups.
   */
  parquetReadBytes: number;
  /** Encoded rows (or rejections) batched into one write, in characters: fewer, larger writes are faster. */
  writeChunkChars: number;
  /**
   * gzip level of the staged rows: 1 is the fastest that compresses, 9 the smallest; 0 stores
   * (still gzip, so the loader reads it the same, with no deflate on either side; framed on the
   * staging thread by `StoredGzip`, not through zlib's thread-pool round trips). Staging is
   * transient, so speed wins: 1 in AWS, where S3 bytes and GETs cost; the local runtime stages at
   * 0 (see `apps/cli`'s settings). From {@link STAGING_GZIP_LEVEL_ENV} when set.
   */
  gzipLevel: number;
  /**
   * Size of gzip's output buffer, in bytes (levels 1-9). Each time it fills, the compressor hands back to the
   * main thread and is scheduled again: zlib's default 16 KiB cost a round trip per 16 KiB of
   * compressed rows, a visible share of staging's main-thread time.
   */
  gzipChunkBytes: number;
  /** Buffer size of the internal output streams, in bytes: with backpressure, it bounds memory. */
  streamHighWaterMark: number;
}

const MIB = 1024 * 1024;

/**
 * Defaults of {@link StagingConfig}. The decompression limits come from measurement: the larger
 * CSV, TSV and JSON files of vega-datasets expand 7-20 times under gzip -6 (football.json the
 * most), so a ratio of 200 leaves ten times that, while the object that expanded 12 MB to 4 GiB
 * had one above 300; and a Lambda transform stages about 30 MB/s, so 16 GiB is more than one
 * invocation can read in its 15 minutes.
 */
export const DEFAULT_STAGING_CONFIG: Readonly<StagingConfig> = Object.freeze({
  firstRejectionsInEvent: 10,
  maxRecordChars: 1024 * 1024,
  maxJsonDepth: 64,
  maxDecompressedBytes: 16 * 1024 * MIB,
  maxDecompressionRatio: 200,
  decompressionRatioFloorBytes: 64 * MIB,
  parquetBatchRows: 4096,
  parquetReadBytes: 4 * MIB,
  writeChunkChars: 64 * 1024,
  gzipLevel: 1,
  gzipChunkBytes: 64 * 1024,
  streamHighWaterMark: 256 * 1024,
});

/** Environment variables that override a {@link StagingConfig} default (positive integers). */
export const STAGING_CONFIG_ENV = {
  maxRecordChars: "SLUICE_MAX_RECORD_CHARS",
  maxJsonDepth: "SLUICE_MAX_JSON_DEPTH",
  maxDecompressedBytes: "SLUICE_MAX_DECOMPRESSED_BYTES",
  maxDecompressionRatio: "SLUICE_MAX_DECOMPRESSION_RATIO",
} as const satisfies Partial<Record<keyof StagingConfig, string>>;

/** `SLUICE_STAGING_GZIP_LEVEL`: the staged rows' gzip level (0-9), over the default. */
export const STAGING_GZIP_LEVEL_ENV = "SLUICE_STAGING_GZIP_LEVEL";

/**
 * The defaults, overridden by the environment ({@link STAGING_CONFIG_ENV},
 * {@link STAGING_GZIP_LEVEL_ENV}), overridden by `overrides`. A malformed variable throws a
 * `ConfigError` naming it.
 */
export function resolveStagingConfig(
  overrides: Partial<StagingConfig> = {},
  env: NodeJS.ProcessEnv = process.env,
): StagingConfig {
  const fromEnv: Partial<StagingConfig> = {};
  for (const [key, name] of Object.entries(STAGING_CONFIG_ENV) as [keyof typeof STAGING_CONFIG_ENV, string][])
    fromEnv[key] = intFromEnv(name, DEFAULT_STAGING_CONFIG[key], env);
  fromEnv.gzipLevel = gzipLevelFromEnv(DEFAULT_STAGING_CONFIG.gzipLevel, env);
  return { ...DEFAULT_STAGING_CONFIG, ...fromEnv, ...overrides };
}

/** The gzip level from {@link STAGING_GZIP_LEVEL_ENV}, or `fallback` when unset; out of 0-9 is a `ConfigError`. */
export function gzipLevelFromEnv(fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return intInRangeFromEnv(STAGING_GZIP_LEVEL_ENV, fallback, { min: 0, max: 9 }, env);
}
