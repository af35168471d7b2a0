import { processIo } from "./commands/io";
import { runCli } from "./commands/program";

/** The `sluice` binary: runs the command line and exits with its code. */
runCli(process.argv.slice(2), processIo).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `sluice: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
