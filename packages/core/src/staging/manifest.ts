import { createHash } from "node:crypto";
import * as z from "zod/mini";
import { objectPartSchema, objectRefSchema, rowCountsSchema } from "../events/envelope";
import { firstIssueOf } from "../zod-config";

/**
 * Runtime schema of a staged run's manifest (`manifest.json`, written last by the producer and
 * read first by the loader). Unknown fields are dropped, so a producer may add some without
 * breaking a loader that does not know them yet.
 */
export const stagingManifestSchema = z.object({
  runId: z.string().check(z.minLength(1)),
  dataset: z.string().check(z.minLength(1)),
  /** Version of the dataset contract the rows were validated against. */
  contractVersion: z.int().check(z.positive()),
  /**
   * `contractFingerprint` of the contract the rows were staged under. A run loaded under another
   * fingerprint is loaded again. Absent in manifests written before it existed.
   */
  contractHash: z.optional(z.string().check(z.regex(/^[0-9a-f]{16}$/))),
  /** The raw object the rows came from. */
  object: objectRefSchema,
  route: z.enum(["lambda", "container"]),
  /** Which phase produced the outputs (`transform` or `legacy-wrapper`). */
  producer: z.string().check(z.minLength(1)),
  /** Column order of the staged rows: `_sluice_line` (STAGED_LINE_COLUMN) first, then the contract's fields. */
  columns: z.array(z.string().check(z.minLength(1))),
  format: z.literal("csv+gzip"),
  counts: rowCountsSchema,
  /** SHA-256 (hex) of the staged rows object's bytes, checked by the loader before loading. */
  rowsSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  /** Size in bytes of the staged rows object. */
  rowsBytes: z.int().check(z.nonnegative()),
  /**
   * A run fanned out over parts: each part's rows object (under `parts/<n>/`), in order, with its
   * digest and counts; loaded one after the other, their rows are the run's. The run's `rowsSha256`
   * is then the SHA-256 of the parts' digests (hex, concatenated in order) and `rowsBytes` their sum.
   */
  parts: z.optional(
    z.array(
      z.object({
        index: z.int().check(z.nonnegative()),
        firstLine: z.int().check(z.positive()),
        rowsKey: z.string().check(z.minLength(1)),
        rowsSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
        rowsBytes: z.int().check(z.nonnegative()),
        counts: rowCountsSchema,
      }),
    ),
  ),
  /** When the producer wrote the manifest (ISO 8601). */
  createdAt: z.string().check(z.minLength(1)),
});

/** The manifest of one staged run (see {@link stagingManifestSchema}). */
export type StagingManifest = z.infer<typeof stagingManifestSchema>;

/**
 * What {@link parseStagingManifest} made of a manifest's text: the manifest, or what is wrong
 * with it (`problem`: `is not valid JSON`, `field counts.staged: …`; `field`: the path).
 */
export type StagingManifestParse =
  | { ok: true; manifest: StagingManifest }
  | { ok: false; problem: string; field?: string };

/**
 * Reads a manifest's text. Returns the first problem instead of throwing, so each reader
 * raises its own typed error (the loader dead-letters the run).
 */
export function parseStagingManifest(text: string): StagingManifestParse {
  const parsed = parseStagingDocument(stagingManifestSchema, text);
  return parsed.ok ? { ok: true, manifest: parsed.value } : parsed;
}

/**
 * The text a producer writes as `manifest.json`. Validated first: a manifest the loader would
 * refuse is a producer bug, and it must fail the producer, not park the run in a DLQ later.
 */
export function formatStagingManifest(manifest: StagingManifest): string {
  const result = stagingManifestSchema.safeParse(manifest);
  if (!result.success) {
    const { field, message } = firstIssueOf(result.error);
    throw new TypeError(`staging manifest field ${field || "(root)"}: ${message}`);
  }
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * The `rowsSha256` of a run fanned out over `parts`: the SHA-256 of the parts' hex digests,
 * concatenated in part order (see {@link stagingManifestSchema}'s `parts`). The transform writes
 * it, the loader checks it.
 */
export function partsDigest(parts: readonly { rowsSha256: string }[]): string {
  return createHash("sha256")
    .update(parts.map((part) => part.rowsSha256).join(""))
    .digest("hex");
}

/** Runtime schema of a staged part's `part.json`: the part, its counts and its rows object's digest. */
export const partManifestSchema = z.object({
  runId: z.string().check(z.minLength(1)),
  part: objectPartSchema,
  counts: rowCountsSchema,
  rowsSha256: z.string().check(z.regex(/^[0-9a-f]{64}$/)),
  rowsBytes: z.int().check(z.nonnegative()),
});

/** A staged part's manifest (see {@link partManifestSchema}). */
export type PartManifest = z.infer<typeof partManifestSchema>;

/** Runtime schema of a fanned-out run's `parts/plan.json`: how many parts the pre-scan found. */
export const partsPlanSchema = z.object({
  runId: z.string().check(z.minLength(1)),
  parts: z.int().check(z.positive()),
  partBytes: z.int().check(z.positive()),
});

/** A fanned-out run's plan (see {@link partsPlanSchema}). */
export type PartsPlan = z.infer<typeof partsPlanSchema>;

/**
 * Reads a JSON document of the staging bucket against `schema`; the first problem instead of
 * throwing, as {@link parseStagingManifest} does.
 */
export function parseStagingDocument<T>(
  schema: z.ZodMiniType<T>,
  text: string,
): { ok: true; value: T } | { ok: false; problem: string; field?: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: "is not valid JSON" };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  const { field, message } = firstIssueOf(result.error);
  return { ok: false, problem: `field ${field || "(root)"}: ${message}`, field };
}
