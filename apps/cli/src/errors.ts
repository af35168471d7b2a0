import { ConfigError, ContractError, DatabaseUnavailableError } from "@sluice/core";
import { UnloadRefusedError } from "@sluice/loader";
import { CommanderError } from "commander";
import { EXIT, type ExitCode } from "./exit-codes";
import type { CliIo } from "./io";
import { StateDirectoryInUseError } from "./runtime/state-lock";

/** A failure a command reports with its own exit code and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * The exit code of a failure, by its class: a {@link CliError} carries its own; another runtime
 * holding the state directory is `busy`; a core `ConfigError` (a bad option value, a missing
 * setting), a `ContractError` (contracts that do not validate: its message names every problem)
 * and a command line commander refuses are `usage` (asking for help is `ok`); an unload
 * the loader refuses is `notFound` for a run the ledger does not know and `refused` otherwise;
 * anything else is an unexpected `error`.
 */
export function exitCodeOfError(error: unknown): ExitCode {
  if (error instanceof CliError) return error.exitCode;
  if (error instanceof StateDirectoryInUseError) return EXIT.busy;
  if (error instanceof UnloadRefusedError) return error.code === "unknown-run" ? EXIT.notFound : EXIT.refused;
  if (error instanceof ConfigError || error instanceof ContractError) return EXIT.usage;
  if (error instanceof CommanderError) {
    const asked = ["commander.helpDisplayed", "commander.help", "commander.version"];
    return asked.includes(error.code) ? EXIT.ok : EXIT.usage;
  }
  return EXIT.error;
}

/**
 * Tells the person what failed and returns its exit code: the message of an expected failure (a
 * database that cannot be reached included: `database unavailable: connection refused`), the
 * stack of an unexpected one (commander has printed its own).
 */
export function reportFailure(error: unknown, io: CliIo): ExitCode {
  const code = exitCodeOfError(error);
  if (error instanceof CommanderError) return code;
  const expected =
    code !== EXIT.error || error instanceof CliError || error instanceof DatabaseUnavailableError;
  if (error instanceof Error && expected) io.err(`sluice: ${error.message}`);
  else io.err(`sluice: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return code;
}
