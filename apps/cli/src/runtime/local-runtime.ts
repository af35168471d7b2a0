import type { Readable } from "node:stream";
import {
  type DatasetRegistry,
  type LoadTarget,
  type ObjectHead,
  type PutResult,
  runIdOf,
} from "@sluice/core";
import { type UnloadedRun, unloadRun } from "@sluice/loader";
import type { JournalEntry, LocalQueue } from "@sluice/local";
import {
  type DrainOptions,
  type DrainOutcome,
  drainStateOf,
  type FollowOptions,
  followUntilDrained,
  waitUntilDrained,
} from "./drain";
import type { IngestJournal } from "./ingest-journal";
import type { LocalPipelineSettings } from "./settings";
import { takeStateLock } from "./state-lock";
import { type LocalRuntimeOptions, type Wiring, wireLocalPipeline } from "./wiring";

/** What {@link LocalRuntime.ingest} stored. */
export interface IngestedObject {
  key: string;
  eTag: string;
  size: number;
  /** The run id the listener will give this object version. */
  runId: string;
}

/** What the start found interrupted and took up again. */
export interface RuntimeRecovery {
  /** Keys of raw objects a crash left stored without their notification: announced now. */
  announced: string[];
  /** Container tasks started again. */
  resumedTasks: number;
}

/** What `sluice status` reads from a running runtime: the same three sources as in AWS. */
export interface RuntimeStatusSources {
  /** The events journal, oldest first. */
  events: AsyncIterable<JournalEntry>;
  /** The database the loader writes to, with its ledger. */
  target: LoadTarget;
  deadLetterQueues: readonly LocalQueue[];
}

/** The whole pipeline on one machine, on the same phase code as in AWS, started. */
export interface LocalRuntime {
  /** The state directory it holds (absolute). */
  readonly stateDir: string;
  readonly settings: LocalPipelineSettings;
  /** The database the loader writes to (PGlite in the state directory, or Postgres). */
  readonly database: LoadTarget;
  /** The dataset contracts the pipeline runs with. */
  readonly registry: DatasetRegistry;
  /** What the start found interrupted and took up again. */
  readonly recovery: RuntimeRecovery;
  /** The `sluice run <paths>` ingests under way, and those a crash interrupted. */
  readonly ingests: IngestJournal;
  /**
   * Writes a file into the raw bucket: its notification starts a run. Resolves once the object
   * and its notification are stored (a crash in between announces it at the next start).
   */
  ingest(key: string, body: Readable | Buffer | string): Promise<IngestedObject>;
  /** {@link ingest} of the file at `path`, copied by the kernel while its MD5 is read (`LocalObjectStore.putFile`). */
  ingestFile(key: string, path: string): Promise<IngestedObject>;
  /** The raw object `key` as {@link ingest} would describe it, when it is stored. */
  ingested(key: string): Promise<IngestedObject | undefined>;
  /** The objects in the raw bucket whose key starts with `prefix`. */
  rawObjects(prefix: string): AsyncIterable<ObjectHead>;
  /** Re-sends the notification of an object already in the raw bucket (replay without re-upload). */
  replay(key: string): Promise<boolean>;
  /**
   * Takes loaded rows back out of their table: a run id, or an object key (each loaded run of it),
   * with the loader's `unloadRun` (ledger `unloaded`, `sluice.object.unloaded` on the bus).
   */
  unload(which: string): Promise<UnloadedRun[]>;
  /** The dead-letter queues (`listener-dlq`, `transform-dlq`, …). */
  deadLetterQueues(): readonly LocalQueue[];
  /** Moves the messages of one dead-letter queue back to its queue; resolves how many. */
  redrive(deadLetterQueue: string): Promise<number>;
  /** Resolves `true` once idle (twice in a row), or `false` after `timeoutMs`. */
  drain(options?: DrainOptions): Promise<boolean>;
  /** {@link drain}, ended early by `interrupted`, passing the events published meanwhile to `onEvent`. */
  follow(options: FollowOptions): Promise<DrainOutcome>;
  /** Calls `listener` with every event published from now on; returns the unsubscribe. */
  onEvent(listener: (entry: JournalEntry) => void): () => void;
  /** The journal, the ledger's database and the DLQs, for `collectRunStatuses`. */
  statusSources(): RuntimeStatusSources;
  /** Stops polling and tasks (work in flight stays on disk and resumes on the next start), closes the database, releases the state directory. */
  close(): Promise<void>;
}

/**
 * Takes the state directory's lock (or throws `StateDirectoryInUseError`), wires the pipeline,
 * resumes interrupted work (in-flight messages come back, raw objects stored without their
 * notification are announced, interrupted tasks start again) and starts polling.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const lock = await takeStateLock(options.stateDir);
  let wiring: Wiring | undefined;
  let recovery: RuntimeRecovery;
  try {
    wiring = await wireLocalPipeline(options);
    for (const queue of wiring.bus.queues()) await queue.releaseInFlight();
    recovery = {
      announced: await wiring.store.recoverNotifications(wiring.settings.buckets.raw),
      resumedTasks: await wiring.tasks.resumeInterrupted(),
    };
    wiring.host.start();
    wiring.relay.start();
  } catch (error) {
    try {
      if (wiring) {
        await stopWiring(wiring);
        await wiring.target.close();
      }
    } finally {
      await lock.release();
    }
    throw error;
  }
  return runtimeOf(wiring, recovery, lock.release);
}

function runtimeOf(
  wiring: Wiring,
  recovery: RuntimeRecovery,
  releaseLock: () => Promise<void>,
): LocalRuntime {
  const { layout, settings, store, bus, queues, journal, events, host, tasks, taskWatch, relay, target } =
    wiring;
  const { publisher, registry, loaderLogger } = wiring;
  const raw = settings.buckets.raw;
  let closing: Promise<void> | undefined;
  const describeIngested = async (key: string, put: PutResult): Promise<IngestedObject> => {
    const head = await store.head(raw, key);
    return {
      key,
      eTag: put.eTag,
      size: head?.size ?? 0,
      runId: runIdOf({ bucket: raw, key, eTag: put.eTag, versionId: put.versionId }),
    };
  };
  const runtime: LocalRuntime = {
    stateDir: layout.root,
    settings,
    database: target,
    registry,
    recovery,
    ingests: wiring.ingests,
    ingest: async (key, body) => describeIngested(key, await store.put(raw, key, body)),
    ingestFile: async (key, path) => describeIngested(key, await store.putFile(raw, key, path)),
    async ingested(key) {
      const head = await store.head(raw, key);
      return head && { key, eTag: head.eTag, size: head.size, runId: runIdOf(head) };
    },
    rawObjects: (prefix) => store.list(raw, prefix),
    replay: (key) => store.renotify(raw, key),
    unload: (which) => unloadRun(which, { target, publisher, logger: loaderLogger }),
    deadLetterQueues: () => bus.deadLetterQueues(),
    redrive: (deadLetterQueue) => bus.redrive(deadLetterQueue),
    drain: (options) =>
      waitUntilDrained(
        () =>
          drainStateOf({
            queues: Object.values(queues),
            host,
            tasks: () => tasks.running().length + taskWatch.pending(),
            outbox: () => relay.pending(),
          }),
        options,
      ),
    follow: (options) => followUntilDrained(runtime, options),
    onEvent: (listener) => events.subscribe(listener),
    statusSources: () => ({ events: journal.entries(), target, deadLetterQueues: bus.deadLetterQueues() }),
    close() {
      closing ??= (async () => {
        try {
          await stopWiring(wiring);
          await target.close();
        } finally {
          await releaseLock();
        }
      })();
      return closing;
    },
  };
  return runtime;
}

/** Stops polling, records the task retries still waiting, stops tasks (they resume on the next start), relays the outbox a last time. */
async function stopWiring(wiring: Wiring): Promise<void> {
  await wiring.host.stop();
  await wiring.transformWorkers.close();
  await wiring.taskWatch.stop();
  await wiring.tasks.stop();
  await wiring.relay.stop();
  await wiring.taskLog.close();
}
