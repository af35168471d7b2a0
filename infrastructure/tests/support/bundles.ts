import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { FUNCTION_NAMES, type FunctionName } from "../../src/config";

/**
 * Stand-ins for the apps' Lambda zips, so infrastructure tests do not depend on the phase builds.
 * Terraform never opens them at plan time; only their bytes (the source hash) matter.
 */
export function writePlaceholderBundles(
  dir: string = mkdtempSync(path.join(tmpdir(), "sluice-bundles-")),
  contentOf: (name: FunctionName) => string = (name) => `placeholder bundle of ${name}`,
): Record<FunctionName, string> {
  mkdirSync(dir, { recursive: true });
  const bundles = {} as Record<FunctionName, string>;
  for (const name of FUNCTION_NAMES) {
    bundles[name] = path.join(dir, `${name}.zip`);
    writeFileSync(bundles[name], contentOf(name));
  }
  return bundles;
}
