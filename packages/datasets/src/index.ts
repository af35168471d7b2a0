import { join } from "node:path";
import { type DatasetRegistry, loadDatasetRegistry } from "@sluice/core";

/** The folder holding this deployment's dataset contracts (`*.json`). */
export const contractsDir: string = join(__dirname, "..", "contracts");

/**
 * The registry of this deployment's contracts. In a Lambda bundle the contracts are copied
 * beside the handler, so `SLUICE_CONTRACTS_DIR` (or `dir`) points there.
 */
export function loadRegistry(
  dir: string = process.env.SLUICE_CONTRACTS_DIR ?? contractsDir,
): DatasetRegistry {
  return loadDatasetRegistry(dir);
}
