import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { filesToIngest, ingestFiles } from "./support/files";
import { withRuntime } from "./support/runtime-session";

/** Options of `sluice watch`. */
export interface WatchOptions {
  /** The folder to watch; files are keyed by their path inside it. */
  dir: string;
  /** Put in front of every key. */
  prefix: string;
  /** How often to look for new or changed files. */
  intervalMs: number;
}

/** `sluice watch`: keeps the runtime running and ingests files dropped into `dir` until Ctrl-C. */
export const watch: CommandHandler<WatchOptions> = async ({ dir, prefix, intervalMs }, context) => {
  const { reporter } = context;
  if (!Number.isInteger(intervalMs) || intervalMs < 50)
    throw new CliError("--interval must be at least 50 ms", EXIT.usage);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new CliError(`${dir} is not a folder`, EXIT.usage);
  return withRuntime(context, async (runtime, interrupted) => {
    reporter.say(`watching ${resolve(dir)} (Ctrl-C to stop)`);
    // One block redrawn in place on a terminal, a line per object stored and per event otherwise.
    const progress = reporter.progress();
    const unsubscribe = runtime.onEvent(progress.onEvent);
    // A file is ingested once its size and mtime held still for one interval (not mid-copy),
    // and again whenever they change.
    const ingested = new Map<string, string>();
    const seen = new Map<string, string>();
    let stopped = false;
    void interrupted.then(() => {
      stopped = true;
    });
    try {
      while (!stopped) {
        const { files } = await filesToIngest([dir], prefix, { skipDir: context.globals.stateDir });
        for (const file of files) {
          const info = await stat(file.path).catch(() => undefined);
          if (!info) continue;
          const signature = `${info.size}:${info.mtimeMs}`;
          const previous = seen.get(file.key);
          seen.set(file.key, signature);
          if (previous !== signature || ingested.get(file.key) === signature) continue;
          await ingestFiles(runtime, [file], (object) => progress.stored(object));
          ingested.set(file.key, signature);
        }
        await Promise.race([new Promise((done) => setTimeout(done, intervalMs)), interrupted]);
      }
    } finally {
      unsubscribe();
      progress.end();
    }
    return EXIT.ok;
  });
};
