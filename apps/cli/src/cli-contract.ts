import { type Command, Option } from "commander";
import { definedOf, parseCount } from "./command-options";
import { contractCheck } from "./commands/contract-check";
import { contractInfer } from "./commands/contract-infer";
import { contractValidate } from "./commands/contract-validate";
import type { CommandHandler } from "./context";
import { DEFAULT_INFER_OPTIONS } from "./infer/infer-contract";

/** Runs a command's handler with its options; `flags.json` picks the reporter's output. */
export type Dispatch = <O>(
  handler: CommandHandler<O>,
  options: O,
  flags?: { json?: boolean },
) => Promise<void>;

/** `sluice contract validate|infer|check`: onboarding a dataset. */
export function declareContractCommands(program: Command, dispatch: Dispatch): void {
  const contract = program
    .command("contract")
    .description(
      "dataset contracts: validate a folder of them, infer one from a file, check a file against one",
    );
  contract
    .command("validate")
    .description("validate every contract of a folder and list every problem of every file (exit 2 if any)")
    .argument(
      "[dir]",
      "the folder (default: --contracts, SLUICE_CONTRACTS_DIR, or packages/datasets/contracts)",
    )
    .option("--json", "print JSON")
    .action((dir: string | undefined, opts: { json?: boolean }) =>
      dispatch(contractValidate, dir !== undefined ? { dir } : {}, opts),
    );

  contract
    .command("infer")
    .description(
      "read a sample of a file and propose a contract (format, types and their formats, nulls, enums, key) with a note for each guess",
    )
    .argument("<file>", "a CSV/TSV, JSON, NDJSON or Parquet file (gzip too)")
    .option("--name <name>", "the dataset name (default: the file's name)")
    .addOption(
      new Option("--sample-bytes <n>", "how much of the content to read")
        .argParser(parseCount)
        .default(DEFAULT_INFER_OPTIONS.sampleBytes),
    )
    .option("--out <file>", "write the contract to this file (e.g. packages/datasets/contracts/<name>.json)")
    .option("--json", "print the contract and the notes as one JSON document")
    .action((file: string, opts: { name?: string; sampleBytes: number; out?: string; json?: boolean }) =>
      dispatch(
        contractInfer,
        { file, sampleBytes: opts.sampleBytes, ...definedOf(opts, ["name", "out"]) },
        opts,
      ),
    );

  contract
    .command("check")
    .description(
      "dry run: stage a file with the transform's code into memory; rows read, rows that would load, rejects by reason, quarantine (exit 3 if any row is rejected or the file quarantined)",
    )
    .argument("<file>", "the file to check")
    .option("--contract <file>", "check against this contract file")
    .option("--dataset <name>", "check against this dataset's contract")
    .option(
      "--key <key>",
      "the raw key the file would have (default: the contract's prefix + the file's name)",
    )
    .option("--json", "print JSON")
    .action((file: string, opts: { contract?: string; dataset?: string; key?: string; json?: boolean }) =>
      dispatch(contractCheck, { file, ...definedOf(opts, ["contract", "dataset", "key"]) }, opts),
    );
}
