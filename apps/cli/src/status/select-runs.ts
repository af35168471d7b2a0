import { isRunId } from "@sluice/core";
import { latestRunPerObject, type RunStatus } from "./object-status";

/**
 * The runs `which` names, as `status` and `rejects` read it: a run id is that run, whatever came
 * after; an object key is that object's latest run, a key prefix ending in `/` the latest run of
 * each object below it; nothing is the latest run of every object.
 */
export function selectRuns(runs: readonly RunStatus[], which?: string): RunStatus[] {
  // Copied before isRunId narrows `which`: a key can look like anything.
  const key: string | undefined = which;
  if (which !== undefined && isRunId(which)) return runs.filter((run) => run.runId === which);
  const named =
    key === undefined
      ? runs
      : runs.filter((run) => run.key === key || (key.endsWith("/") && run.key.startsWith(key)));
  return latestRunPerObject(named);
}
