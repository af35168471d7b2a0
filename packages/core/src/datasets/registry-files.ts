import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DatasetRegistry, parseDatasetContract } from "./contract";

/**
 * Loads every `*.json` contract in `dir` into a {@link DatasetRegistry}, validating each;
 * a bad file fails with a {@link ContractError} that names it.
 */
export function loadDatasetRegistry(dir: string): DatasetRegistry {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort();
  return new DatasetRegistry(
    files.map((name) => parseDatasetContract(readFileSync(join(dir, name), "utf8"), join(dir, name))),
  );
}
