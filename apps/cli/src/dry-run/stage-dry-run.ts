import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import {
  createEvent,
  createLogger,
  type DatasetContract,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  type Rejection,
  runIdOf,
  stagingKeysOf,
} from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { stageStream } from "@sluice/staging";
import { type RejectGroup, RejectGroups } from "./reject-groups";

/** The bucket names of a dry run (nothing leaves the process). */
const DRY_RUN_BUCKETS = { raw: "dry-run-raw", staging: "dry-run-staging" } as const;

/** Tuning of {@link stageDryRun}. */
export interface DryRunSettings {
  /** Rejected rows shown per reason. */
  examplesPerReason: number;
}

/** Default {@link DryRunSettings}. */
export const DEFAULT_DRY_RUN_SETTINGS: DryRunSettings = { examplesPerReason: 3 };

/** What staging a file would do, without a pipeline: the counts, the rejects by reason, the quarantine. */
export interface DryRunReport {
  file: string;
  /** The raw key the file was staged as (what `match` and the run id see). */
  key: string;
  dataset: string;
  /** Data records read (header and blank lines excluded). */
  rows: number;
  /** Records that pass the contract: the rows a load would insert or update (unless the table refuses some). */
  wouldLoad: number;
  rejected: number;
  /** Set when the whole file would be quarantined instead of loaded. */
  quarantine?: { reason: string; message: string };
  /** The rejected rows, grouped by reason, with the first examples of each. */
  rejects: RejectGroup[];
}

/**
 * An in-memory store for one dry run: the raw object is read from the file on disk, the staged
 * rows are counted and dropped, the rejections are grouped as they stream by, and everything else
 * (the manifest) goes to a {@link MemoryObjectStore}. Memory stays bounded whatever the file size.
 */
class DryRunStore implements ObjectStore {
  readonly #memory = new MemoryObjectStore();

  constructor(
    private readonly raw: { key: string; path: string },
    private readonly drop: { rowsKey: string; rejectsKey: string },
    private readonly groups: RejectGroups,
  ) {}

  async get(bucket: string, key: string, options?: Parameters<ObjectStore["get"]>[2]): Promise<Readable> {
    if (bucket !== DRY_RUN_BUCKETS.raw || key !== this.raw.key) return this.#memory.get(bucket, key, options);
    const range = options?.range;
    return createReadStream(this.raw.path, range ? { start: range.start, end: range.end } : {});
  }

  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options?: PutOptions,
  ): Promise<PutResult> {
    if (key === this.drop.rowsKey) {
      for await (const _chunk of toStream(body));
    } else if (key === this.drop.rejectsKey) {
      for await (const line of createInterface({ input: toStream(body), crlfDelay: Infinity }))
        if (line !== "") this.groups.add(JSON.parse(line) as Rejection);
    } else {
      return this.#memory.put(bucket, key, body, options);
    }
    return { eTag: "dry-run" };
  }

  async head(bucket: string, key: string) {
    if (bucket !== DRY_RUN_BUCKETS.raw || key !== this.raw.key) return this.#memory.head(bucket, key);
    const info = await stat(this.raw.path);
    return { bucket, key, size: info.size, eTag: "dry-run", lastModified: info.mtime };
  }

  list(bucket: string, prefix: string) {
    return this.#memory.list(bucket, prefix);
  }
}

function toStream(body: Readable | Buffer | string): Readable {
  return typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
}

/**
 * Stages `file` under `contract` as the transform would — the same `stageStream` from
 * `@sluice/staging`, so the same readers, validator, bad-row ratio and quarantine rules — into
 * an in-memory store, and reports what would load, what would be rejected and why, and whether
 * the file would be quarantined. Nothing is written anywhere and no event leaves the process.
 */
export async function stageDryRun(
  file: string,
  contract: DatasetContract,
  key: string,
  settings: DryRunSettings = DEFAULT_DRY_RUN_SETTINGS,
): Promise<DryRunReport> {
  const info = await stat(file);
  const object = { bucket: DRY_RUN_BUCKETS.raw, key, size: info.size, eTag: `${info.size}-${info.mtimeMs}` };
  const runId = runIdOf(object);
  const groups = new RejectGroups(settings.examplesPerReason);
  const store = new DryRunStore({ key, path: file }, stagingKeysOf(contract.name, runId), groups);
  const event = createEvent("sluice.object.received", "sluice/cli", {
    runId,
    object,
    dataset: contract.name,
    contractVersion: contract.version,
    route: "lambda",
  });
  const outcome = await stageStream(
    { event, contract, body: await store.get(object.bucket, key), producer: "transform" },
    {
      store,
      stagingBucket: DRY_RUN_BUCKETS.staging,
      publisher: new MemoryEventPublisher(),
      logger: createLogger("transform", { level: "SILENT" }),
    },
  );
  const counts = outcome.status === "staged" ? outcome.manifest.counts : outcome.counts;
  // A file refused before its rows were read (a missing column) lists only the event's first rejections.
  if (groups.total === 0 && outcome.status === "quarantined")
    for (const rejection of outcome.event.data.firstRejections) groups.add(rejection);
  return {
    file,
    key,
    dataset: contract.name,
    rows: counts.rows,
    wouldLoad: outcome.status === "staged" ? counts.staged : 0,
    rejected: counts.rejected,
    ...(outcome.status === "quarantined"
      ? { quarantine: { reason: outcome.reason, message: outcome.event.data.message } }
      : {}),
    rejects: groups.list(),
  };
}
