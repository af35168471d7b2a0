import { createHash } from "node:crypto";
import type { ObjectRef } from "./objects/object-ref";

/** Identifies one run of the pipeline over one version of one object. */
export type RunId = string;

/**
 * The run id of an object version: deterministic from (bucket, key, versionId or eTag), so a
 * redelivered notification maps to the same run and every write addressed by it overwrites or
 * no-ops. Format: `r-` + 32 hex characters (a truncated SHA-256).
 */
export function runIdOf(ref: Pick<ObjectRef, "bucket" | "key" | "versionId" | "eTag">): RunId {
  const version = ref.versionId ? `v:${ref.versionId}` : ref.eTag ? `e:${ref.eTag}` : "none";
  const digest = createHash("sha256")
    .update(JSON.stringify([ref.bucket, ref.key, version]))
    .digest("hex");
  return `r-${digest.slice(0, 32)}`;
}

/** True when `value` looks like a run id made by {@link runIdOf}. */
export function isRunId(value: string): value is RunId {
  return /^r-[0-9a-f]{32}$/.test(value);
}
