import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT, exitCodeOfRuns } from "../exit-codes";
import { describeRun, problemLines, rejectsHint, runsTable } from "../report/runs-text";
import { type AwsOptions, readDeployedStatus, wantsAws } from "../status/aws-sources";
import { readLocalStatus } from "../status/local-status";
import { selectRuns } from "../status/select-runs";

/** Options of `sluice status`. */
export interface StatusOptions extends AwsOptions {
  /** One object key, a key prefix ending in `/`, or a run id. */
  which?: string;
  /** Read a deployed environment (with nothing else naming one: fails, saying what is missing). */
  aws?: boolean;
  /** Only this dataset. */
  dataset?: string;
  /** Only activity since this ISO time. */
  since?: string;
}

/**
 * `sluice status`: each object's latest run and its lifecycle (a run id: that run), from the
 * state directory or a deployed environment.
 * Exit `attention` when a run shown is failed, quarantined or dead-lettered, `notFound` when
 * `which` names nothing known.
 */
export const status: CommandHandler<StatusOptions> = async (options, { globals, reporter }) => {
  const { which, dataset, since } = options;
  const note = (text: string) => reporter.note(text);
  let runs = wantsAws(options)
    ? await readDeployedStatus(options, { ...globals, note })
    : await readLocalStatus({ ...globals, ...(since ? { since } : {}) }, note);
  if (dataset) runs = runs.filter((run) => run.dataset === dataset);
  runs = selectRuns(runs, which);
  if (which !== undefined && runs.length === 0) {
    reporter.result(runs, () => undefined);
    throw new CliError(`no run known for ${which}`, EXIT.notFound);
  }
  reporter.result(runs, () => {
    if (runs.length === 0) return "no objects yet: try `sluice demo` or `sluice run <files>`";
    if (which !== undefined && runs.length <= 3) return runs.map(describeRun);
    return [runsTable(runs), ...problemLines(runs), ...rejectsHint(runs)];
  });
  return exitCodeOfRuns(runs);
};
