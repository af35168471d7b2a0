import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT, exitCodeOfRuns } from "../exit-codes";
import { problemLines, rejectsHint, runsTable } from "../report/runs-text";
import { runtimeRunStatuses } from "../status/local-status";
import { filesToIngest, skippedSummary } from "./support/files";
import { followWithProgress, withRuntime } from "./support/runtime-session";

/** Options of `sluice run`. */
export interface RunOptions {
  /** Files or folders to ingest; none: resume unfinished work. */
  paths: readonly string[];
  /** Put in front of every key. */
  prefix: string;
  timeoutMs: number;
}

/**
 * `sluice run`: ingests files into the raw bucket and waits until they are through (without
 * paths: resumes what an earlier run left unfinished), then prints each run. What a folder holds
 * that is not data (`.DS_Store`, `.git`, editor swap files) is skipped and counted on stderr.
 */
export const run: CommandHandler<RunOptions> = async ({ paths, prefix, timeoutMs }, context) => {
  const { reporter } = context;
  const { files, skipped } = await filesToIngest(paths, prefix, { skipDir: context.globals.stateDir });
  const skippedLine = skippedSummary(skipped);
  if (skippedLine) reporter.note(skippedLine);
  if (paths.length > 0 && files.length === 0) throw new CliError("no files to ingest", EXIT.usage);
  const since = new Date().toISOString();
  return withRuntime(context, async (runtime, interrupted) => {
    reporter.say(
      paths.length > 0
        ? `ingesting ${files.length} file(s) into ${runtime.settings.buckets.raw}`
        : "resuming unfinished work",
    );
    const { outcome, ingested } = await followWithProgress(runtime, context, {
      timeoutMs,
      interrupted,
      ingest: files,
    });
    const runIds = new Set(ingested.map((object) => object.runId));
    // Without paths, report every run that moved during this resume.
    const runs = (await runtimeRunStatuses(runtime, since, (text) => reporter.note(text))).filter(
      (r) => paths.length === 0 || runIds.has(r.runId),
    );
    reporter.result({ outcome, runs, skipped }, () => [
      runsTable(runs),
      ...problemLines(runs),
      ...rejectsHint(runs),
    ]);
    if (outcome === "timeout") return EXIT.timeout;
    if (outcome === "interrupted") return EXIT.attention;
    return exitCodeOfRuns(runs);
  });
};
