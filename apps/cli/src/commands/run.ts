import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT, exitCodeOfRuns } from "../exit-codes";
import { problemLines, rejectsHint, runsTable } from "../report/runs-text";
import type { InterruptedIngest } from "../runtime/ingest-journal";
import { runtimeRunStatuses } from "../status/local-status";
import { describeIngest, filesToIngest, ingestRecorded, skippedSummary } from "./support/files";
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
 * The ingest is recorded: after a crash, running the same paths again says how far the
 * interrupted one got and finishes it; running without paths names it.
 */
export const run: CommandHandler<RunOptions> = async ({ paths, prefix, timeoutMs }, context) => {
  const { reporter } = context;
  const { files, skipped } = await filesToIngest(paths, prefix, { skipDir: context.globals.stateDir });
  const skippedLine = skippedSummary(skipped);
  if (skippedLine) reporter.note(skippedLine);
  if (paths.length > 0 && files.length === 0) throw new CliError("no files to ingest", EXIT.usage);
  const since = new Date().toISOString();
  return withRuntime(context, async (runtime, interrupted) => {
    const note = (line: string) => reporter.note(line);
    if (runtime.recovery.announced.length > 0)
      note(
        `announced ${runtime.recovery.announced.length} object(s) an interrupted run stored without their notification: ${runtime.recovery.announced.join(", ")}`,
      );
    if (paths.length === 0)
      for (const ingest of await runtime.ingests.interrupted())
        note(
          `an ingest was interrupted: ${describeIngest(ingest)}; \`sluice run ${rerunArgs(ingest)}\` finishes it`,
        );
    reporter.say(
      paths.length > 0
        ? `ingesting ${files.length} file(s) into ${runtime.settings.buckets.raw}`
        : "resuming unfinished work",
    );
    let resumedFrom: string | undefined;
    const { outcome, ingested } = await followWithProgress(runtime, context, {
      timeoutMs,
      interrupted,
      ...(paths.length > 0
        ? {
            ingest: async (onStored) => {
              const recorded = await ingestRecorded(runtime, { paths, prefix, files }, note, onStored);
              resumedFrom = recorded.resumedFrom;
              return recorded.ingested;
            },
          }
        : {}),
    });
    const runIds = new Set(ingested.map((object) => object.runId));
    // Without paths, report every run that moved during this resume; finishing an interrupted
    // ingest, every run of its files since it began.
    const runs = (await runtimeRunStatuses(runtime, resumedFrom ?? since, note)).filter(
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

/** The arguments of the `sluice run` that finishes `ingest`. */
function rerunArgs({ intent }: InterruptedIngest): string {
  const paths = intent.paths.map((path) => JSON.stringify(path)).join(" ");
  return intent.prefix === "" ? paths : `--prefix ${JSON.stringify(intent.prefix)} ${paths}`;
}
