import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { FunctionName } from "./config";

/** One bundle zip that is not there. */
export interface MissingBundle {
  functionName: FunctionName;
  zipPath: string;
}

/** Lambda bundles the stack needs are not built yet. */
export class MissingBundleError extends Error {
  override readonly name = "MissingBundleError";
  constructor(readonly missing: MissingBundle[]) {
    super(
      `missing Lambda bundle(s): ${missing.map((bundle) => `${bundle.functionName} (${bundle.zipPath})`).join(", ")}. ` +
        "Build them first (`pnpm turbo run build`), or point config.bundles at existing zips",
    );
  }
}

/**
 * Checks every bundle exists before any resource is built, so one run names them all.
 * @throws MissingBundleError listing each missing zip.
 */
export function assertBundlesExist(bundles: Record<FunctionName, string>): void {
  const missing = (Object.entries(bundles) as [FunctionName, string][])
    .filter(([, zipPath]) => !existsSync(zipPath))
    .map(([functionName, zipPath]) => ({ functionName, zipPath }));
  if (missing.length > 0) throw new MissingBundleError(missing);
}

/** A bundle zip and its hash. */
export interface Bundle {
  zipPath: string;
  /** Base64 SHA-256 of the zip, the form Lambda's `source_code_hash` compares, so a code change redeploys. */
  sha256Base64: string;
}

/**
 * Reads the bundle of `functionName` at `zipPath`.
 * @throws MissingBundleError when the zip is not there.
 */
export function readBundle(functionName: FunctionName, zipPath: string): Bundle {
  if (!existsSync(zipPath)) throw new MissingBundleError([{ functionName, zipPath }]);
  return { zipPath, sha256Base64: createHash("sha256").update(readFileSync(zipPath)).digest("base64") };
}
