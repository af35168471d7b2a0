import { S3ObjectStore } from "@sluice/aws";
import { ConfigError, type ObjectStore } from "@sluice/core";
import { LocalObjectStore, localStateLayout } from "@sluice/local";
import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT } from "../exit-codes";
import { rejectedRows } from "../report/runs-text";
import { formatTable } from "../report/table";
import { DEFAULT_PIPELINE_SETTINGS } from "../runtime/settings";
import {
  type AwsOptions,
  type AwsStatusLocation,
  createAwsClients,
  readDeployedStatus,
  resolveAwsLocation,
  wantsAws,
} from "../status/aws-sources";
import { readLocalStatus } from "../status/local-status";
import type { RunStatus } from "../status/object-status";
import { type RunRejects, readRunRejects } from "../status/run-rejects";
import { selectRuns } from "../status/select-runs";

/** Options of `sluice rejects`. */
export interface RejectsOptions extends AwsOptions {
  /** An object key (its latest run), a key prefix ending in `/`, or a run id. */
  which: string;
  /** Read a deployed environment. */
  aws?: boolean;
  /** Rejections listed per run at most (0: all); every one is counted. */
  limit: number;
}

/** Default `--limit` of `sluice rejects`. */
export const DEFAULT_REJECTS_LIMIT = 1000;

/**
 * `sluice rejects <key|run-id>`: the rejected rows of a run's latest attempt — line, field,
 * reason and value — from the transform's `rejects.ndjson` and the loader's
 * `load-rejects.ndjson`, in the state directory's staging bucket or, with `--env`/`--outputs`,
 * the deployed staging bucket (its runs found through the events archive, as `status` finds them).
 * Exit `ok` when the run is known (with or without rejects), `notFound` otherwise.
 */
export const rejects: CommandHandler<RejectsOptions> = async (options, { globals, reporter }) => {
  const note = (text: string) => reporter.note(text);
  const found = wantsAws(options)
    ? await deployedRejects(options, { ...globals, note })
    : await localRejects(options, globals, note);
  if (found.length === 0) throw new CliError(`no run known for ${options.which}`, EXIT.notFound);
  reporter.result(
    found.map(({ run, rejects }) => ({ ...rejects, state: run.state })),
    () => found.flatMap(({ run, rejects }) => rejectsText(run, rejects)),
  );
  return EXIT.ok;
};

/** One run and its rejected rows. */
export interface RunWithRejects {
  run: RunStatus;
  rejects: RunRejects;
}

/** The rejected rows of each run, read from the staging bucket through `store`. */
export async function collectRejects(
  runs: readonly RunStatus[],
  store: ObjectStore,
  stagingBucket: string,
  limit: number,
): Promise<RunWithRejects[]> {
  const found: RunWithRejects[] = [];
  for (const run of runs)
    found.push({ run, rejects: await readRunRejects(store, stagingBucket, run, limit) });
  return found;
}

/** The staging bucket of a state directory, where each run's rejects files are. */
export function localStagingBucket(stateDir: string): { store: ObjectStore; bucket: string } {
  const store = new LocalObjectStore({ rootDir: localStateLayout(stateDir).bucketsDir });
  return { store, bucket: DEFAULT_PIPELINE_SETTINGS.buckets.staging };
}

/**
 * The deployed staging bucket's name (`--staging-bucket`, or the stack's `staging_bucket` output).
 * @throws ConfigError when neither names it.
 */
export function deployedStagingBucket(location: AwsStatusLocation): string {
  if (!location.stagingBucket)
    throw new ConfigError(
      "no staging bucket: pass --staging-bucket, or --outputs/--env of a stack with the staging_bucket output",
    );
  return location.stagingBucket;
}

async function localRejects(
  options: RejectsOptions,
  globals: { stateDir: string; databaseUrl?: string },
  note: (text: string) => void,
): Promise<RunWithRejects[]> {
  const runs = selectRuns(await readLocalStatus(globals, note), options.which);
  const { store, bucket } = localStagingBucket(globals.stateDir);
  return collectRejects(runs, store, bucket, options.limit);
}

async function deployedRejects(
  options: RejectsOptions,
  reading: { databaseUrl?: string; verbose?: boolean; note: (text: string) => void },
): Promise<RunWithRejects[]> {
  const location = await resolveAwsLocation(options);
  const bucket = deployedStagingBucket(location);
  const runs = selectRuns(await readDeployedStatus(options, { ...reading, location }), options.which);
  const clients = createAwsClients(location.region);
  try {
    return await collectRejects(runs, new S3ObjectStore(clients.s3), bucket, options.limit);
  } finally {
    clients.s3.destroy();
    clients.sqs.destroy();
  }
}

/** A value as a cell: as it is, or quoted when it is empty or holds line breaks or tabs. */
function cell(value: string | undefined): string {
  if (value === undefined) return "-";
  return value === "" || /[\r\n\t]/.test(value) ? JSON.stringify(value) : value;
}

/** The text of one run's rejects: a header line, then a table (or why there is none). */
export function rejectsText(run: RunStatus, rejects: RunRejects): string[] {
  const { transform, loader } = rejects.counts;
  const lines = [
    `${run.key}  run ${run.runId}: ${transform} row(s) rejected by the transform, ${loader + rejects.loaderUnlisted} by the loader`,
  ];
  // A staged run that rejected no row writes no rejects file.
  if (rejects.files.length === 0 && run.rows !== undefined && rejectedRows(run) === 0) {
    lines.push("  no rejected rows");
    return lines;
  }
  if (rejects.files.length === 0) {
    lines.push(
      `  no rejects file: the run was not staged (${run.state}${run.reason ? `: ${run.reason}` : ""})`,
    );
    return lines;
  }
  if (rejects.rejections.length === 0 && rejects.loaderUnlisted === 0) lines.push("  no rejected rows");
  if (rejects.rejections.length > 0)
    lines.push(
      formatTable(
        ["SOURCE", "LINE", "FIELD", "REASON", "VALUE"],
        rejects.rejections.map((r) => [r.source, String(r.line), r.field, r.reason, cell(r.value)]),
      ),
    );
  const listed = rejects.rejections.length;
  if (listed < transform + loader)
    lines.push(`  … ${transform + loader - listed} more (--limit 0 lists all)`);
  if (rejects.loaderUnlisted > 0)
    lines.push(
      `  the loader counted ${rejects.loaderUnlisted} more it did not list (it keeps the first ones)`,
    );
  return lines;
}
