import { existsSync } from "node:fs";
import { join } from "node:path";
import { type DatasetRegistry, ENV, loadDatasetRegistry } from "@sluice/core";

/** The folder holding this deployment's dataset contracts (`*.json`) in the repository. */
export const contractsDir: string = join(__dirname, "..", "contracts");

/**
 * Where the running code finds the contracts: `SLUICE_CONTRACTS_DIR` when set; else the
 * `contracts/` folder the bundler copies beside a bundle (Lambda zip, container image, CLI
 * `dist/`) — inside a bundle `__dirname` is the bundle's own folder; else this package's.
 */
export function resolveContractsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[ENV.contractsDir];
  if (configured) return configured;
  const besideBundle = join(__dirname, "contracts");
  return existsSync(besideBundle) ? besideBundle : contractsDir;
}

/** The registry of this deployment's contracts, read from `dir` (default {@link resolveContractsDir}). */
export function loadRegistry(dir: string = resolveContractsDir()): DatasetRegistry {
  return loadDatasetRegistry(dir);
}
