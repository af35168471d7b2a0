import { mkdir, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { DEFAULT_INFER_OPTIONS, inferContract } from "../infer/infer-contract";

/** Options of `sluice contract infer`. */
export interface ContractInferOptions {
  file: string;
  /** The dataset name (default: the file's name). */
  name?: string;
  /** How much of the file is sampled (`InferOptions.sampleBytes`; default 4 MiB). */
  sampleBytes?: number;
  /** Write the contract here instead of printing it. */
  out?: string;
}

/**
 * `sluice contract infer <file>`: reads a sample of the file and proposes a contract for it
 * (`infer/infer-contract.ts`). The contract JSON goes to stdout (or `--out`), a note for each
 * guess to stderr, so `> contract.json` keeps only the contract; `--json` prints both as one
 * document. The contract is a proposal: check it with `sluice contract check` before running it.
 */
export const contractInfer: CommandHandler<ContractInferOptions> = async (options, { reporter }) => {
  if (!(await stat(options.file).catch(() => undefined))?.isFile())
    throw new CliError(`${options.file}: no such file`, EXIT.usage);
  const inferred = await inferContract(options.file, {
    ...DEFAULT_INFER_OPTIONS,
    ...(options.name ? { name: options.name } : {}),
    ...(options.sampleBytes ? { sampleBytes: options.sampleBytes } : {}),
  });
  const json = `${JSON.stringify(inferred.contract, null, 2)}\n`;
  if (options.out) {
    await mkdir(dirname(resolve(options.out)), { recursive: true });
    await writeFile(options.out, json);
  }
  if (!reporter.json) for (const note of inferred.notes) reporter.note(`# ${note}`);
  reporter.result(inferred, ({ contract }) =>
    options.out
      ? [
          `wrote ${options.out}: dataset ${contract.name}, ${contract.fields.length} fields, table ${contract.table}`,
          `next: sluice contract check ${options.file} --contract ${options.out}`,
        ]
      : json.trimEnd(),
  );
  return EXIT.ok;
};
