import * as z from "zod/mini";
import { objectRefSchema, rowCountsSchema } from "../events/envelope";
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
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, problem: "is not valid JSON" };
  }
  const result = stagingManifestSchema.safeParse(value);
  if (result.success) return { ok: true, manifest: result.data };
  const { field, message } = firstIssueOf(result.error);
  return { ok: false, problem: `field ${field || "(root)"}: ${message}`, field };
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
