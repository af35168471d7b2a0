import type { ExitCode } from "./exit-codes";
import type { CliIo } from "./io";
import type { Reporter } from "./report/reporter";

/** Options every command takes (`sluice --state-dir … --database-url … -v <command>`). */
export interface GlobalOptions {
  /** The state directory, absolute. */
  stateDir: string;
  databaseUrl?: string;
  /** The folder of dataset contracts (`--contracts`, `SLUICE_CONTRACTS_DIR`), absolute; default: the repository's. */
  contractsDir?: string;
  verbose?: boolean;
  /** fsync the state directory's writes (`--fsync`, `SLUICE_FSYNC=1`): the state survives a power cut. */
  fsync?: boolean;
}

/** What a command runs with besides its own options. */
export interface CommandContext {
  io: CliIo;
  globals: GlobalOptions;
  /** Prints the command's result as text or JSON (`--json`). */
  reporter: Reporter;
}

/**
 * A `sluice` command: its options in, its exit code out. It throws for failures (a `CliError`
 * with its code, a typed error); `cli.ts` maps them to exit codes in one place.
 */
export type CommandHandler<Options> = (options: Options, context: CommandContext) => Promise<ExitCode>;
