import { readFile, stat } from "node:fs/promises";
import { basename, resolve, sep } from "node:path";
import { ConfigError, type DatasetContract, parseDatasetContract } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import type { CommandHandler } from "../context";
import { type DryRunReport, stageDryRun } from "../dry-run/stage-dry-run";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { contractsDirOf } from "./support/contracts-dir";

/** Options of `sluice contract check`. */
export interface ContractCheckOptions {
  file: string;
  /** A contract file to check against (need not be in the contracts folder yet). */
  contract?: string;
  /** A dataset of the contracts folder to check against. */
  dataset?: string;
  /** The raw key the file would have (default: the contract's prefix and the file's name). */
  key?: string;
}

/**
 * `sluice contract check <file>`: a dry run of staging — the transform's own code, into memory —
 * that prints the rows read, the rows that would load, the rejected rows by reason with the first
 * examples (line, field, value), and whether the file would be quarantined and why. The contract
 * is `--contract <file>`, `--dataset <name>`, or the one that claims `--key` (default: the
 * file's name). Exit `ok` when every row would load, `attention` (3) when some row would be
 * rejected or the file quarantined; a contract that does not validate is `usage` (2).
 */
export const contractCheck: CommandHandler<ContractCheckOptions> = async (options, { globals, reporter }) => {
  if (!(await stat(options.file).catch(() => undefined))?.isFile())
    throw new CliError(`${options.file}: no such file`, EXIT.usage);
  if (options.contract && options.dataset) throw new ConfigError("give --contract or --dataset, not both");
  const { contract, key } = await contractFor(options, contractsDirOf(globals));
  const report = await stageDryRun(options.file, contract, key);
  reporter.result(report, checkText);
  return report.quarantine || report.rejected > 0 ? EXIT.attention : EXIT.ok;
};

/**
 * The contract to check against and the key the file is staged as: `--contract`'s or
 * `--dataset`'s (keyed `--key`, else the contract's prefix and the file's name), or the contract
 * that claims `--key`, else the shortest end of the file's path a contract claims
 * (`data/orders/a.csv` is tried as `a.csv`, then `orders/a.csv`, …, as `sluice run data` keys it).
 */
async function contractFor(
  options: ContractCheckOptions,
  contractsDir: string,
): Promise<{ contract: DatasetContract; key: string }> {
  const keyIn = (contract: DatasetContract) =>
    options.key ?? `${"prefix" in contract.match ? contract.match.prefix : ""}${basename(options.file)}`;
  if (options.contract) {
    const contract = parseDatasetContract(await readContractFile(options.contract), options.contract);
    return { contract, key: keyIn(contract) };
  }
  const registry = loadRegistry(contractsDir);
  if (options.dataset) {
    const contract = registry.get(options.dataset);
    return { contract, key: keyIn(contract) };
  }
  const segments = resolve(options.file).split(sep).filter(Boolean);
  const keys = options.key ? [options.key] : segments.map((_, i) => segments.slice(-1 - i).join("/"));
  for (const key of keys) {
    const contract = registry.claim(key);
    if (contract) return { contract, key };
  }
  throw new CliError(
    `no contract in ${contractsDir} claims ${keys[0]}: pass --contract <file>, --dataset <name> or --key <raw key>`,
    EXIT.usage,
  );
}

async function readContractFile(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch {
    throw new CliError(`--contract ${path}: no such file`, EXIT.usage);
  }
}

/** The report for a person. */
export function checkText(report: DryRunReport): string[] {
  const lines = [
    `${report.file} as ${report.key} (dataset ${report.dataset})`,
    `  rows read     ${report.rows}`,
    `  would load    ${report.wouldLoad}`,
    `  rejected      ${report.rejected}`,
    `  quarantined   ${report.quarantine ? `yes: ${report.quarantine.reason}: ${report.quarantine.message}` : "no"}`,
  ];
  if (report.rejects.length > 0) lines.push("rejected rows by reason:");
  for (const group of report.rejects) {
    lines.push(`  ${group.count} × ${group.reason}`);
    for (const example of group.examples)
      lines.push(
        `      line ${example.line}  field ${example.field}${example.value !== undefined ? `  value ${JSON.stringify(example.value)}` : ""}`,
      );
  }
  if (!report.quarantine && report.rejected === 0) lines.push("every row would load");
  return lines;
}
