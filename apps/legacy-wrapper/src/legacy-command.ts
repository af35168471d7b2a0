import { ContractError, type DatasetContract } from "@sluice/core";
import { COMMAND_PLACEHOLDERS, DEFAULT_LEGACY_COMMAND, type LegacyWrapperConfig } from "./config";

/** The contract's fixed-width layout as the `{columns}` placeholder value: `name:start:length,…`. */
export function columnsSpecOf(contract: DatasetContract): string | undefined {
  if (contract.format.type !== "fixed-width") return undefined;
  return contract.format.columns.map((c) => `${c.field}:${c.start}:${c.length}`).join(",");
}

/**
 * The argv to run for `contract`, with placeholders substituted inside each element (no shell
 * ever sees them), or `undefined` when the object needs no program (its format is one the
 * pipeline reads itself, and no command is configured).
 */
export function legacyArgvFor(
  contract: DatasetContract,
  config: Pick<LegacyWrapperConfig, "command" | "programDir">,
  paths: { input: string; output: string },
): string[] | undefined {
  const template =
    config.command ?? (contract.format.type === "fixed-width" ? DEFAULT_LEGACY_COMMAND : undefined);
  if (template === undefined) return undefined;
  const columns = columnsSpecOf(contract);
  if (columns === undefined && template.some((part) => part.includes(COMMAND_PLACEHOLDERS.columns))) {
    throw new ContractError(
      `the legacy command uses ${COMMAND_PLACEHOLDERS.columns} but contract ${contract.name} is not fixed-width`,
      { dataset: contract.name },
    );
  }
  return template.map((part) =>
    part
      .replaceAll(COMMAND_PLACEHOLDERS.input, paths.input)
      .replaceAll(COMMAND_PLACEHOLDERS.output, paths.output)
      .replaceAll(COMMAND_PLACEHOLDERS.columns, columns ?? "")
      .replaceAll(COMMAND_PLACEHOLDERS.programDir, config.programDir),
  );
}
