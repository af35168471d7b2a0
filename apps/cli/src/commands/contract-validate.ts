import { resolve } from "node:path";
import { type ContractProblem, checkContractsDir, formatContractProblems } from "@sluice/datasets";
import type { CommandHandler } from "../context";
import { EXIT } from "../exit-codes";
import { contractsDirOf } from "./support/contracts-dir";

/** Options of `sluice contract validate`. */
export interface ContractValidateOptions {
  /** The folder to validate; default: the one the pipeline runs with. */
  dir?: string;
}

/** What `sluice contract validate --json` prints. */
export interface ContractValidation {
  dir: string;
  /** Every contract that validated: its file, dataset name and table. */
  contracts: { file: string; name: string; table: string }[];
  /** Every problem of every file (empty: the folder is good to run with). */
  problems: ContractProblem[];
}

/**
 * `sluice contract validate [dir]`: validates every contract of a folder and lists EVERY problem
 * of every file (each schema issue with its field path, JSON that does not parse, a dataset name
 * used twice, keys two contracts claim equally), then exits `usage` (2) when there is any, `ok`
 * otherwise. A folder without contracts is a problem too.
 */
export const contractValidate: CommandHandler<ContractValidateOptions> = async (
  options,
  { globals, reporter },
) => {
  const dir = options.dir !== undefined ? resolve(options.dir) : contractsDirOf(globals);
  const check = checkContractsDir(dir);
  const problems = [...check.problems];
  if (check.files.length === 0 && problems.length === 0)
    problems.push({ file: dir, message: "no contract files (*.json) in this folder" });
  const validation: ContractValidation = {
    dir,
    contracts: check.contracts.map(({ file, contract }) => ({
      file,
      name: contract.name,
      table: contract.table,
    })),
    problems,
  };
  reporter.result(validation, () => [
    ...validation.contracts.map((c) => `ok       ${c.file}: dataset ${c.name} → table ${c.table}`),
    ...formatContractProblems(problems).map((line) => `problem  ${line}`),
    problems.length === 0
      ? `${validation.contracts.length} contract(s) in ${dir}: all valid`
      : `${problems.length} problem(s) in ${dir}`,
  ]);
  return problems.length === 0 ? EXIT.ok : EXIT.usage;
};
