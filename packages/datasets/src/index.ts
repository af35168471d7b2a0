import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { ContractError, DatasetRegistry, ENV } from "@sluice/core";
import { checkContractsDir, formatContractProblems } from "./check-contracts";

export {
  type ContractProblem,
  type ContractsCheck,
  checkContractsDir,
  exampleKey,
  formatContractProblems,
} from "./check-contracts";

/** The folder holding this deployment's dataset contracts (`*.json`) in the repository. */
export const contractsDir: string = join(__dirname, "..", "contracts");

/** Where the contracts folder is inside a checkout of the repository. */
const REPOSITORY_CONTRACTS_PATH = join("packages", "datasets", "contracts");

/**
 * Where the running code finds the contracts: `SLUICE_CONTRACTS_DIR` when set; else the
 * `contracts/` folder the bundler copies beside a bundle (Lambda zip, container image) — inside
 * a bundle `__dirname` is the bundle's own folder; else this package's.
 */
export function resolveContractsDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[ENV.contractsDir];
  if (configured) return configured;
  const besideBundle = join(__dirname, "contracts");
  return existsSync(besideBundle) ? besideBundle : contractsDir;
}

/**
 * The contracts the local runtime (the `sluice` CLI) runs with: `SLUICE_CONTRACTS_DIR` when set;
 * else, when the running code sits in a checkout of the repository (the CLI's bundle in
 * `apps/cli/dist` too), the repository's own `packages/datasets/contracts`, so a contract
 * written or changed there takes effect at the next run without a rebuild; else
 * {@link resolveContractsDir}'s answer.
 */
export function resolveLocalContractsDir(env: NodeJS.ProcessEnv = process.env, from = __dirname): string {
  const configured = env[ENV.contractsDir];
  if (configured) return configured;
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, REPOSITORY_CONTRACTS_PATH);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return resolveContractsDir(env);
  }
}

/**
 * The registry of the contracts in `dir` (default {@link resolveContractsDir}).
 * @throws ContractError naming every problem of every file (`context.problems`), not the first.
 */
export function loadRegistry(dir: string = resolveContractsDir()): DatasetRegistry {
  const check = checkContractsDir(dir);
  if (check.problems.length > 0) {
    const lines = formatContractProblems(check.problems);
    throw new ContractError(
      `${lines.length} problem${lines.length > 1 ? "s" : ""} in the dataset contracts of ${dir}:\n  ${lines.join("\n  ")}`,
      { dir, problems: check.problems },
    );
  }
  return new DatasetRegistry(check.contracts.map((c) => c.contract));
}
