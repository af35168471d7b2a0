import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  ContractError,
  contractClaims,
  type DatasetContract,
  DatasetRegistry,
  parseDatasetContract,
} from "@sluice/core";

/** One thing wrong in a folder of contracts: the file (or the folder) and what. */
export interface ContractProblem {
  /** The contract file's path, or the folder's when the problem is the folder itself. */
  file: string;
  /** What is wrong, with the field path when there is one (`fields[2].type: …`). */
  message: string;
}

/** What {@link checkContractsDir} found in a folder of contracts. */
export interface ContractsCheck {
  dir: string;
  /** Every `*.json` file of the folder, sorted. */
  files: string[];
  /** The contracts that validated, each with its file (a repeated name keeps the first). */
  contracts: { file: string; contract: DatasetContract }[];
  /** Every problem in every file, in file order; empty when the folder is good to run with. */
  problems: ContractProblem[];
}

/**
 * Validates every `*.json` contract in `dir` and reports EVERY problem instead of the first:
 * each file's schema issues (all of them, with their field paths), JSON that does not parse,
 * two files with the same dataset name, and keys two contracts claim with equal specificity
 * (found by asking the registry to claim an example key of each contract's `match`).
 */
export function checkContractsDir(dir: string): ContractsCheck {
  const check: ContractsCheck = { dir, files: [], contracts: [], problems: [] };
  try {
    if (!statSync(dir).isDirectory()) throw new Error("not a folder");
    check.files = readdirSync(dir)
      .filter((name) => name.endsWith(".json"))
      .sort()
      .map((name) => join(dir, name));
  } catch {
    check.problems.push({ file: dir, message: "no such folder of dataset contracts" });
    return check;
  }
  const byName = new Map<string, string>();
  for (const file of check.files) {
    let contract: DatasetContract;
    try {
      contract = parseDatasetContract(readFileSync(file, "utf8"), file);
    } catch (error) {
      check.problems.push(...problemsOf(file, error));
      continue;
    }
    const first = byName.get(contract.name);
    if (first !== undefined) {
      check.problems.push({
        file,
        message: `name: two contracts are named ${contract.name} (also ${first})`,
      });
      continue;
    }
    byName.set(contract.name, file);
    check.contracts.push({ file, contract });
  }
  check.problems.push(...ambiguousClaims(check.contracts));
  return check;
}

/** The problems a contract file's parse failure names (each schema issue on its own). */
function problemsOf(file: string, error: unknown): ContractProblem[] {
  if (!(error instanceof ContractError)) throw error;
  const listed = error.context.problems;
  if (Array.isArray(listed) && listed.length > 0)
    return listed.map((message) => ({ file, message: String(message) }));
  const prefix = `${file}: `;
  return [
    { file, message: error.message.startsWith(prefix) ? error.message.slice(prefix.length) : error.message },
  ];
}

/**
 * Keys two contracts would claim with equal specificity, found with the registry's own claim
 * rule on one example key per contract, so this never disagrees with the pipeline.
 */
function ambiguousClaims(contracts: ContractsCheck["contracts"]): ContractProblem[] {
  const registry = new DatasetRegistry(contracts.map((c) => c.contract));
  const problems: ContractProblem[] = [];
  const reported = new Set<string>();
  for (const { file, contract } of contracts) {
    const key = exampleKey(contract.match);
    try {
      registry.claim(key);
    } catch (error) {
      if (!(error instanceof ContractError)) throw error;
      const names = contracts
        .filter((c) => contractClaims(c.contract, key))
        .map((c) => c.contract.name)
        .sort()
        .join(" and ");
      if (reported.has(names)) continue;
      reported.add(names);
      problems.push({
        file,
        message: `match: ${names} both claim keys like ${key} with equal specificity; make one match more specific`,
      });
    }
  }
  return problems;
}

/**
 * A key a contract's `match` claims: its prefix with a file name, or its glob with each wildcard
 * replaced by a plain segment (`**` → `a/b`, `*` → `example`, `?` → `x`, `{a,b}` → `a`, `[ab]` → `a`).
 */
export function exampleKey(match: DatasetContract["match"]): string {
  if ("prefix" in match) return `${match.prefix}example.csv`;
  return match.glob
    .replace(/\*\*/g, "a/b")
    .replace(/\*/g, "example")
    .replace(/\?/g, "x")
    .replace(/\{([^,}]*)[^}]*\}/g, "$1")
    .replace(/\[!?\^?([^\]])[^\]]*\]/g, "$1");
}

/** The problems as lines for a person: `file: path: message`, one per line. */
export function formatContractProblems(problems: readonly ContractProblem[]): string[] {
  return problems.map((problem) => `${problem.file}: ${problem.message}`);
}
