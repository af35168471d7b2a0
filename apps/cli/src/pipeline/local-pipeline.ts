import { createWriteStream, existsSync, type WriteStream } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Readable } from "node:stream";
import {
  CONSUMER_FILTERS,
  ConfigError,
  createEvent,
  createLogger,
  type DatasetRegistry,
  ENV,
  type LoadTarget,
  parseEvent,
  runIdOf,
  type SluiceEvent,
  unwrapSqsBody,
} from "@sluice/core";
import { loadRegistry, resolveContractsDir } from "@sluice/datasets";
import { createLauncherHandler } from "@sluice/legacy-wrapper";
import { createListenerHandler } from "@sluice/listener";
import { createLoaderHandler, createLoadTarget, isServerUrl } from "@sluice/loader";
import {
  EventJournal,
  EventOutbox,
  FunctionHost,
  type InvocationReport,
  type JournalEntry,
  LOCAL_ENV,
  LocalBus,
  LocalObjectStore,
  type LocalQueue,
  type LocalStateLayout,
  LocalTaskRunner,
  localStateLayout,
  type SqsFunctionHandler,
  type TaskExit,
} from "@sluice/local";
import { createTransformHandler } from "@sluice/transform";
import {
  FUNCTION_NAMES,
  type FunctionName,
  type LocalPipelineSettings,
  type PipelineSettingsOverrides,
  resolvePipelineSettings,
} from "./settings";

/** Options of {@link createLocalPipeline}. */
export interface LocalPipelineOptions {
  /** Where every piece keeps its state (buckets, queues, journal, tasks, PGlite). */
  stateDir: string;
  /**
   * A `postgres://` URL, or a PGlite data directory (`memory://` for an in-memory one).
   * Default: `DATABASE_URL`, else `<stateDir>/pglite`.
   */
  databaseUrl?: string;
  /** Folder of dataset contracts. Default: `SLUICE_CONTRACTS_DIR`, else the shipped contracts. */
  contractsDir?: string;
  /** The legacy wrapper's container entrypoint. Default: `apps/legacy-wrapper/dist/entrypoint.mjs`. */
  legacyEntrypoint?: string;
  /** Level of the phases' JSON logs (Powertools: DEBUG, INFO, WARN, ERROR, SILENT). Default SILENT. */
  logLevel?: string;
  settings?: PipelineSettingsOverrides;
  /**
   * Wraps a function's handler (tests inject faults here: a handler that throws twice, one that
   * always throws until fixed).
   */
  wrapHandler?: (name: FunctionName, handler: SqsFunctionHandler) => SqsFunctionHandler;
  /** Called after every invocation (progress displays). */
  onInvocation?: (report: InvocationReport) => void;
  /** Receives each line a container task writes. Default: appended to `<stateDir>/logs/tasks.log`. */
  onTaskOutput?: (line: string) => void;
}

/** What {@link LocalPipeline.ingest} stored. */
export interface IngestedObject {
  key: string;
  eTag: string;
  size: number;
  /** The run id the listener will give this object version. */
  runId: string;
}

/** Whether everything put in has come out: nothing queued, running or waiting to be relayed. */
export interface DrainState {
  drained: boolean;
  queued: number;
  inFlight: number;
  invocations: number;
  tasks: number;
  outbox: number;
}

/** The whole pipeline on one machine, on the same phase code as in AWS. */
export interface LocalPipeline {
  readonly layout: LocalStateLayout;
  readonly settings: LocalPipelineSettings;
  readonly store: LocalObjectStore;
  readonly bus: LocalBus;
  readonly host: FunctionHost;
  readonly tasks: LocalTaskRunner;
  readonly journal: EventJournal;
  readonly outbox: EventOutbox;
  readonly target: LoadTarget;
  readonly registry: DatasetRegistry;
  /** `postgres://…` or the PGlite directory the loader writes to. */
  readonly databaseUrl: string;
  /** The environment (core `ENV` names) the functions and tasks run with. */
  readonly environment: Readonly<Record<string, string>>;
  /** The consumer queues, by function. */
  readonly queues: Readonly<Record<FunctionName, LocalQueue>>;
  /** Resumes interrupted work and starts polling; takes the state directory's lock. */
  start(): Promise<void>;
  /** Stops polling, stops tasks (they resume on the next start), releases the lock. Work in flight stays on disk. */
  stop(): Promise<void>;
  /** {@link stop}, then closes the database. */
  close(): Promise<void>;
  /** Writes a file into the raw bucket: its notification starts a run. */
  ingest(key: string, body: Readable | Buffer | string): Promise<IngestedObject>;
  /** Re-sends the notification of an object already in the raw bucket (replay without re-upload). */
  replay(key: string): Promise<boolean>;
  /** Whether the pipeline is idle now. */
  drainState(): Promise<DrainState>;
  /** Resolves `true` once idle (twice in a row), or `false` after `timeoutMs`. */
  drain(options?: { timeoutMs?: number; pollMs?: number }): Promise<boolean>;
  /** Calls `listener` with every event published from now on; returns the unsubscribe. */
  onEvent(listener: (entry: JournalEntry) => void): () => void;
}

/** Lock file of the state directory: the pid of the runtime using it. */
const LOCK_FILE = "runtime.pid";

/**
 * Wires the local runtime like the infrastructure wires AWS: raw bucket notifications → the
 * listener's queue → listener; the events topic → the transform queue (received, route=lambda),
 * the launcher queue (received, route=container; the launcher starts the legacy wrapper's
 * entrypoint as a process), the loader queue (staged), and the events journal (everything,
 * read by `sluice status`). Every queue has a DLQ. The loader writes to PGlite in
 * `<stateDir>/pglite` unless a Postgres URL is given.
 */
export async function createLocalPipeline(options: LocalPipelineOptions): Promise<LocalPipeline> {
  const stateDir = resolve(options.stateDir);
  const layout = localStateLayout(stateDir);
  const settings = resolvePipelineSettings(options.settings);
  const databaseUrl = options.databaseUrl ?? (process.env[ENV.databaseUrl] || layout.pgliteDir);
  const contractsDir = options.contractsDir ?? resolveContractsDir();
  const logLevel = options.logLevel ?? "SILENT";
  await mkdir(join(stateDir, "logs"), { recursive: true });

  const store = new LocalObjectStore({ rootDir: layout.bucketsDir });
  const bus = new LocalBus({ queuesDir: layout.queuesDir, topicName: settings.topicName });
  const journal = new EventJournal(layout.journalFile);
  const outbox = new EventOutbox(layout.outboxDir);
  const registry = loadRegistry(contractsDir);

  const environment: Record<string, string> = {
    [ENV.eventsTopicArn]: bus.topic.arn,
    [ENV.rawBucket]: settings.buckets.raw,
    [ENV.stagingBucket]: settings.buckets.staging,
    [ENV.contractsDir]: contractsDir,
  };

  const queues = {} as Record<FunctionName, LocalQueue>;
  for (const name of FUNCTION_NAMES) {
    const fn = settings.functions[name];
    queues[name] = await bus.createQueue(name, {
      settings: {
        visibilityTimeoutMs: fn.timeoutMs * settings.queues.visibilityTimeoutMultiplier,
        maxReceiveCount: settings.queues.maxReceiveCount,
      },
      ...(name === "listener"
        ? {}
        : {
            subscription: {
              filterPolicy: CONSUMER_FILTERS[name],
              rawMessageDelivery: settings.queues.rawMessageDelivery,
            },
          }),
    });
  }
  // S3 → SQS: the raw bucket's notifications go to the listener's queue as the message body.
  store.onObjectCreated(settings.buckets.raw, async (notification) => {
    await queues.listener.send(JSON.stringify(notification));
  });
  bus.topic.subscribeSink("events-archive", journal.sink());
  const eventListeners = new Set<(entry: JournalEntry) => void>();
  bus.topic.subscribeSink("progress", async (notification) => {
    if (eventListeners.size === 0) return;
    const entry: JournalEntry = {
      publishedAt: notification.Timestamp,
      messageId: notification.MessageId,
      event: parseEvent(notification.Message),
    };
    for (const listener of eventListeners) listener(entry);
  });
  const publisher = bus.publisher();

  let taskLog: WriteStream | undefined;
  const onTaskOutput =
    options.onTaskOutput ??
    ((line: string) => {
      taskLog ??= createWriteStream(join(stateDir, "logs", "tasks.log"), { flags: "a" });
      taskLog.write(`${line}\n`);
    });
  const launchedAt = new Map<string, string>();
  const tasks = new LocalTaskRunner({
    args: [options.legacyEntrypoint ?? findLegacyEntrypoint()],
    environment: {
      ...environment,
      [LOCAL_ENV.stateDir]: stateDir,
      POWERTOOLS_LOG_LEVEL: logLevel === "SILENT" ? "INFO" : logLevel,
    },
    tasksDir: layout.tasksDir,
    stopTimeoutMs: settings.taskStopTimeoutMs,
    onOutput: (line) => onTaskOutput(`[${line.runId} ${line.stream}] ${line.line}`),
    onExit: (exit) => {
      void reportSilentTaskFailure(exit).catch((error) =>
        onTaskOutput(`[${exit.runId}] could not report the task's failure: ${String(error)}`),
      );
    },
  });

  /**
   * A task that exits non-zero normally publishes `sluice.object.failed` itself. One that died
   * before it could (a crash on start) would leave its run stuck as "received": report it.
   */
  async function reportSilentTaskFailure(exit: TaskExit): Promise<void> {
    if (exit.interrupted || exit.exitCode === 0) return;
    await outbox.relay(publisher);
    const since = launchedAt.get(exit.runId) ?? "";
    for await (const entry of journal.entries()) {
      if (entry.event.data.runId !== exit.runId || entry.publishedAt < since) continue;
      if (entry.event.type !== "sluice.object.received") return;
    }
    const { data } = exit.event;
    await publisher.publish(
      createEvent("sluice.object.failed", "sluice/local-task-runner", {
        runId: data.runId,
        object: data.object,
        dataset: data.dataset,
        phase: "legacy-wrapper",
        reason: "task-exited",
        message: `the legacy-wrapper task exited with ${exit.exitCode ?? "no exit code"} without reporting an outcome`,
        retryable: false,
        ...(exit.exitCode !== null ? { exitCode: exit.exitCode } : {}),
        ...(exit.stderrTail ? { stderrTail: exit.stderrTail.slice(-2000) } : {}),
      }),
    );
  }

  const target = createLoadTarget(databaseUrl);
  const loggers = {
    listener: createLogger("listener", { level: logLevel }),
    transform: createLogger("transform", { level: logLevel }),
    launcher: createLogger("launcher", { level: logLevel }),
    loader: createLogger("loader", { level: logLevel }),
  };
  const handlers: Record<FunctionName, (env: Readonly<Record<string, string>>) => SqsFunctionHandler> = {
    listener: (env) =>
      createListenerHandler({
        registry: loadRegistry(env[ENV.contractsDir]),
        publisher,
        logger: loggers.listener,
      }),
    transform: (env) =>
      createTransformHandler({
        store,
        stagingBucket: requireSetting(env, ENV.stagingBucket),
        publisher,
        registry: loadRegistry(env[ENV.contractsDir]),
        logger: loggers.transform,
      }),
    launcher: () => {
      const launch = createLauncherHandler({ launcher: tasks, logger: loggers.launcher });
      return async (event) => {
        for (const record of event.Records) {
          try {
            const received = parseEvent(unwrapSqsBody(record.body), "sluice.object.received");
            if (!launchedAt.has(received.data.runId))
              launchedAt.set(received.data.runId, new Date().toISOString());
          } catch {
            // The launcher itself reports a malformed record; this only times the launch.
          }
        }
        return launch(event);
      };
    },
    loader: (env) =>
      createLoaderHandler({
        store,
        target,
        registry: loadRegistry(env[ENV.contractsDir]),
        publisher,
        logger: loggers.loader,
      }),
  };

  const host = new FunctionHost({
    pollIntervalMs: settings.pollIntervalMs,
    ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
  });
  for (const name of FUNCTION_NAMES) {
    const fnSettings = { ...settings.functions[name] };
    // PGlite is one connection in this process: loads run one at a time.
    if (name === "loader" && !isServerUrl(databaseUrl)) fnSettings.reservedConcurrency = 1;
    await host.register({
      name,
      queue: queues[name],
      environment: name === "loader" ? { ...environment, [ENV.databaseUrl]: databaseUrl } : environment,
      settings: fnSettings,
      createHandler: (env) => {
        const handler = handlers[name](env);
        return options.wrapHandler ? options.wrapHandler(name, handler) : handler;
      },
    });
  }

  let relayTimer: NodeJS.Timeout | undefined;
  let relaying: Promise<void> = Promise.resolve();
  let started = false;
  const lockPath = join(stateDir, LOCK_FILE);

  const pipeline: LocalPipeline = {
    layout,
    settings,
    store,
    bus,
    host,
    tasks,
    journal,
    outbox,
    target,
    registry,
    databaseUrl,
    environment,
    queues,
    async start() {
      if (started) return;
      await takeLock(lockPath);
      started = true;
      for (const queue of bus.queues()) await queue.releaseInFlight();
      await tasks.resumeInterrupted();
      host.start();
      const relay = () => {
        relaying = outbox
          .relay(publisher, (file, error) =>
            onTaskOutput(`[outbox] ${file} is not a valid event: ${String(error)}`),
          )
          .then(() => undefined)
          .catch((error) => onTaskOutput(`[outbox] relay failed: ${String(error)}`))
          .finally(() => {
            if (started) relayTimer = setTimeout(relay, settings.outboxPollMs);
          });
      };
      relay();
    },
    async stop() {
      if (!started) return;
      started = false;
      clearTimeout(relayTimer);
      await relaying;
      await host.stop();
      await tasks.stop();
      await outbox.relay(publisher).catch(() => undefined);
      await new Promise<void>((done) => (taskLog ? taskLog.end(done) : done()));
      taskLog = undefined;
      await rm(lockPath, { force: true });
    },
    async close() {
      await pipeline.stop();
      await target.close();
    },
    async ingest(key, body) {
      const put = await store.put(settings.buckets.raw, key, body);
      const head = await store.head(settings.buckets.raw, key);
      return {
        key,
        eTag: put.eTag,
        size: head?.size ?? 0,
        runId: runIdOf({ bucket: settings.buckets.raw, key, eTag: put.eTag, versionId: put.versionId }),
      };
    },
    replay(key) {
      return store.renotify(settings.buckets.raw, key);
    },
    async drainState() {
      let queued = 0;
      let inFlight = 0;
      for (const name of FUNCTION_NAMES) {
        const counts = await queues[name].counts();
        queued += counts.visible;
        inFlight += counts.inFlight;
      }
      const invocations = host.activeInvocations();
      const running = tasks.running().length;
      const waiting = await outbox.pending();
      return {
        drained: queued + inFlight + invocations + running + waiting === 0,
        queued,
        inFlight,
        invocations,
        tasks: running,
        outbox: waiting,
      };
    },
    async drain({ timeoutMs = 10 * 60_000, pollMs = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let idleChecks = 0;
      while (Date.now() < deadline) {
        idleChecks = (await pipeline.drainState()).drained ? idleChecks + 1 : 0;
        // Twice in a row: a message can be between a delete and the publish it caused.
        if (idleChecks >= 2) return true;
        await new Promise((done) => setTimeout(done, pollMs));
      }
      return false;
    },
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
  };
  return pipeline;
}

function requireSetting(env: Readonly<Record<string, string>>, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`function environment variable ${name} is not set`, { name });
  return value;
}

/**
 * The legacy wrapper's built entrypoint: `SLUICE_LEGACY_ENTRYPOINT`, else
 * `apps/legacy-wrapper/dist/entrypoint.mjs` found by walking up from this file (works from the
 * sources and from the CLI bundle in apps/cli/dist).
 */
export function findLegacyEntrypoint(): string {
  const fromEnv = process.env.SLUICE_LEGACY_ENTRYPOINT;
  if (fromEnv) return resolve(fromEnv);
  let dir = __dirname;
  for (;;) {
    const candidate = join(dir, "apps", "legacy-wrapper", "dist", "entrypoint.mjs");
    if (existsSync(candidate)) return candidate;
    const sibling = join(dir, "legacy-wrapper", "dist", "entrypoint.mjs");
    if (existsSync(sibling)) return sibling;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return resolve("apps", "legacy-wrapper", "dist", "entrypoint.mjs");
}

/** Takes the state directory's lock, unless a live process holds it. */
async function takeLock(lockPath: string): Promise<void> {
  try {
    const pid = Number((await readFile(lockPath, "utf8")).trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new ConfigError(
        `another sluice runtime (pid ${pid}) is using ${dirname(lockPath)}; stop it or use --state-dir`,
        { pid },
      );
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
  }
  await writeFile(lockPath, String(process.pid));
}

/** The pid of a live runtime holding `stateDir`, if any. */
export async function runtimeHolding(stateDir: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(join(resolve(stateDir), LOCK_FILE), "utf8")).trim());
    return Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Events of `runId`, in the journal, published at or after `since` (ISO time). */
export async function journalEventsOf(
  journal: EventJournal,
  runId: string,
  since = "",
): Promise<SluiceEvent[]> {
  const events: SluiceEvent[] = [];
  for await (const entry of journal.entries()) {
    if (entry.event.data.runId === runId && entry.publishedAt >= since) events.push(entry.event);
  }
  return events;
}
