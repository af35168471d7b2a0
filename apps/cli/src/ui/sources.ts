import { stat } from "node:fs/promises";
import { S3ObjectStore } from "@sluice/aws";
import { checkContractsDir } from "@sluice/datasets";
import { localStateLayout } from "@sluice/local";
import { listQueue } from "../commands/dlq-list";
import { deployedStagingBucket, localStagingBucket } from "../commands/rejects";
import { contractsDirOf } from "../commands/support/contracts-dir";
import type { GlobalOptions } from "../context";
import { stateText } from "../report/runs-text";
import { runtimeHolding } from "../runtime/state-lock";
import {
  type AwsOptions,
  awsDeadLetterQueues,
  createAwsClients,
  readDeployedStatus,
  resolveAwsLocation,
  wantsAws,
} from "../status/aws-sources";
import { openLocalQueues, readLocalStatus } from "../status/local-status";
import type { DeadLetterSource, RunStatus } from "../status/object-status";
import { type RunRejects, readRunRejects } from "../status/run-rejects";
import { selectRuns } from "../status/select-runs";
import { datasetViews, objectViews, phaseDurations, throughputOf, timelineOf } from "./dashboard";
import type { DashboardSnapshot, ObjectDetail } from "./dashboard-types";

/** Rejected rows the object page lists at most (every one is counted). */
export const DETAIL_REJECTS_LIMIT = 200;

/**
 * Where the dashboard reads from: the same sources as `sluice status` (the state directory, or a
 * deployed environment's archive, ledger and DLQs), never taking the runtime's state lock.
 */
export interface DashboardSource {
  readonly kind: "local" | "aws";
  /** The state directory, or the events archive. */
  readonly where: string;
  /** Every run (all attempts), as `status` computes them; `note` gets what status says on stderr. */
  readRuns(note: (text: string) => void): Promise<RunStatus[]>;
  deadLetterQueues(): Promise<readonly DeadLetterSource[]>;
  readRejects(run: RunStatus, limit: number): Promise<RunRejects>;
  /**
   * Changes whenever what status reads may have changed; undefined when it cannot tell cheaply
   * (a deployed environment: read again every time).
   */
  fingerprint(): Promise<string | undefined>;
}

/** The dashboard's source for these options: a deployed environment when they name one. */
export async function dashboardSource(
  options: AwsOptions & { aws?: boolean },
  globals: GlobalOptions,
): Promise<DashboardSource> {
  return wantsAws(options) ? deployedSource(options, globals) : localSource(globals);
}

function localSource(globals: GlobalOptions): DashboardSource {
  const { stateDir } = globals;
  const { store, bucket } = localStagingBucket(stateDir);
  const deadLetterQueues = async () => (await openLocalQueues(stateDir)).deadLetterQueues();
  return {
    kind: "local",
    where: stateDir,
    readRuns: (note) => readLocalStatus(globals, note),
    deadLetterQueues,
    readRejects: (run, limit) => readRunRejects(store, bucket, run, limit),
    async fingerprint() {
      const journal = await stat(localStateLayout(stateDir).journalFile).catch(() => undefined);
      const parked: number[] = [];
      for (const queue of (await openLocalQueues(stateDir)).deadLetterQueues())
        parked.push((await queue.counts()).visible);
      // A runtime stopping makes the embedded ledger readable again: read once more then.
      const holder = await runtimeHolding(stateDir);
      return JSON.stringify([journal?.size, journal?.mtimeMs, parked, holder]);
    },
  };
}

async function deployedSource(options: AwsOptions, globals: GlobalOptions): Promise<DashboardSource> {
  const location = await resolveAwsLocation(options);
  const clients = createAwsClients(location.region);
  const store = new S3ObjectStore(clients.s3);
  return {
    kind: "aws",
    where: `s3://${location.archive.bucket}/${location.archive.prefix}`,
    readRuns: (note) => readDeployedStatus(options, { ...globals, note, location }),
    deadLetterQueues: () => awsDeadLetterQueues(location, clients.sqs),
    readRejects: (run, limit) => readRunRejects(store, deployedStagingBucket(location), run, limit),
    fingerprint: async () => undefined,
  };
}

/** A snapshot of everything the dashboard shows, read from `source`. */
export async function readSnapshot(
  source: DashboardSource,
  globals: GlobalOptions,
  actionsAllowed: boolean,
): Promise<DashboardSnapshot> {
  const notes: string[] = [];
  const runs = await source.readRuns((text) => notes.push(text));
  const latest = selectRuns(runs);
  const queues = [];
  for (const queue of await source.deadLetterQueues())
    queues.push({ name: queue.name, messages: await listQueue(queue) });
  const contracts = checkContractsDir(contractsDirOf(globals)).contracts;
  return {
    generatedAt: new Date().toISOString(),
    source: { kind: source.kind, where: source.where, notes },
    actions: { allowed: actionsAllowed, replay: source.kind === "local" },
    datasets: datasetViews(latest, contracts),
    objects: objectViews(latest),
    throughput: throughputOf(runs),
    phases: phaseDurations(runs),
    deadLetterQueues: queues,
  };
}

/** One run in full, or undefined when no run has this id. */
export async function readObjectDetail(
  source: DashboardSource,
  runId: string,
): Promise<ObjectDetail | undefined> {
  const [run] = selectRuns(await source.readRuns(() => undefined), runId);
  if (!run) return undefined;
  return {
    run,
    stateText: stateText(run),
    timeline: timelineOf(run),
    rejects: await source.readRejects(run, DETAIL_REJECTS_LIMIT),
  };
}
