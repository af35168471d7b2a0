import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import {
  CONSUMER_FILTERS,
  createLogger,
  type DatasetRegistry,
  ENV,
  type EventFilter,
  type EventPublisher,
  type LoadTarget,
  type Logger,
  parseEvent,
} from "@sluice/core";
import { loadRegistry, resolveLocalContractsDir } from "@sluice/datasets";
import { LEGACY_ENV } from "@sluice/legacy-wrapper";
import { createLoadTarget, isServerUrl } from "@sluice/loader";
import {
  EventJournal,
  EventOutbox,
  FunctionHost,
  type InvocationReport,
  LOCAL_ENV,
  LocalBus,
  LocalObjectStore,
  type LocalQueue,
  type LocalStateLayout,
  LocalTaskRunner,
  localStateLayout,
  retryDelayOf,
  type SqsFunctionHandler,
} from "@sluice/local";
import { STAGING_GZIP_LEVEL_ENV } from "@sluice/staging";
import { containerLoadsFor } from "./container-loads";
import { EventFanout } from "./event-fanout";
import { IngestJournal } from "./ingest-journal";
import { OutboxRelay } from "./outbox-relay";
import { phaseHandlers } from "./phase-handlers";
import {
  FUNCTION_NAMES,
  type FunctionName,
  type LocalPipelineSettings,
  type PipelineSettingsOverrides,
  resolvePipelineSettings,
} from "./settings";
import { openTaskLog, type TaskLog } from "./task-log";
import { TaskWatch } from "./task-watch";
import { TransformWorkers } from "./transform-workers";

/** Options of the local runtime. */
export interface LocalRuntimeOptions {
  /** Where every piece keeps its state (buckets, queues, journal, tasks, PGlite). */
  stateDir: string;
  /**
   * A `postgres://` URL, or a PGlite data directory (`memory://` for an in-memory one).
   * Default: `DATABASE_URL`, else `<stateDir>/pglite`.
   */
  databaseUrl?: string;
  /**
   * Folder of dataset contracts. Default: `SLUICE_CONTRACTS_DIR`, else the repository's
   * `packages/datasets/contracts` (read at every start: no rebuild after a change).
   */
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
  /**
   * fsync every write to the state directory (files before their rename, directories after), so
   * the state survives a power cut and not only a killed process; tasks do the same. Default false.
   */
  fsync?: boolean;
}

/** The local pipeline's parts, wired and not started. */
export interface Wiring {
  layout: LocalStateLayout;
  settings: LocalPipelineSettings;
  /** `postgres://…` or the PGlite directory the loader writes to. */
  databaseUrl: string;
  store: LocalObjectStore;
  bus: LocalBus;
  /** The consumer queues, by function. */
  queues: Readonly<Record<FunctionName, LocalQueue>>;
  journal: EventJournal;
  /** The `sluice run <paths>` ingests under way or interrupted. */
  ingests: IngestJournal;
  /** Every event published, as it is published. */
  events: EventFanout;
  host: FunctionHost;
  tasks: LocalTaskRunner;
  taskWatch: TaskWatch;
  relay: OutboxRelay;
  taskLog: TaskLog;
  /** The worker threads the transform stages objects and the parts of fanned-out ones in. */
  transformWorkers: TransformWorkers;
  target: LoadTarget;
  /** Publishes on the events topic, as the phases do. */
  publisher: EventPublisher;
  /** The dataset contracts the phases run with. */
  registry: DatasetRegistry;
  /** The loader's logger at the phases' level, for the loader work the runtime does itself (an unload). */
  loaderLogger: Logger;
}

/**
 * Wires the local pipeline like the infrastructure wires AWS: raw bucket notifications → the
 * listener's queue → listener; the events topic → the transform queue (received, route=lambda),
 * the launcher queue (received, route=container; the launcher starts the legacy wrapper's
 * entrypoint as a process), the loader queue (staged, lambda route; container route too on
 * PGlite: `containerLoadsFor`), and the events journal (everything, read by `sluice status`).
 * Every queue has a DLQ. The loader writes to PGlite in `<stateDir>/pglite` unless a Postgres
 * URL is given. Nothing runs until started.
 */
export async function wireLocalPipeline(options: LocalRuntimeOptions): Promise<Wiring> {
  const stateDir = resolve(options.stateDir);
  const layout = localStateLayout(stateDir);
  const settings = resolvePipelineSettings(options.settings);
  const databaseUrl = options.databaseUrl ?? (process.env[ENV.databaseUrl] || layout.pgliteDir);
  const contractsDir = options.contractsDir ?? resolveLocalContractsDir();
  // First, before anything is opened: bad contracts fail the start naming every problem.
  const registry = loadRegistry(contractsDir);
  const logLevel = options.logLevel ?? "SILENT";
  const taskLog = await openTaskLog(stateDir, options.onTaskOutput);

  const fsync = options.fsync ?? false;
  const store = new LocalObjectStore({ rootDir: layout.bucketsDir, fsync });
  const bus = new LocalBus({ queuesDir: layout.queuesDir, topicName: settings.topicName, fsync });
  const journal = new EventJournal(layout.journalFile, { fsync });
  const environment: Record<string, string> = {
    [ENV.eventsTopicArn]: bus.topic.arn,
    [ENV.rawBucket]: settings.buckets.raw,
    [ENV.stagingBucket]: settings.buckets.staging,
    [ENV.contractsDir]: contractsDir,
  };
  const transformEnvironment: Record<string, string> = {
    ...environment,
    [ENV.fanOutMinBytes]: String(settings.fanOut.minBytes),
    [ENV.partBytes]: String(settings.fanOut.partBytes),
  };
  // With Postgres the container task loads what it staged, as in AWS; with PGlite the loader does.
  const containerLoads = containerLoadsFor(databaseUrl);
  const queues = await createQueues(bus, settings, containerLoads.loaderFilter);
  // S3 → SQS: the raw bucket's notifications go to the listener's queue as the message body.
  store.onObjectCreated(settings.buckets.raw, async (notification) => {
    await queues.listener.send(JSON.stringify(notification));
  });
  bus.topic.subscribeSink("events-archive", journal.sink());
  const events = new EventFanout();
  bus.topic.subscribeSink("progress", async (notification) => {
    if (!events.listening) return;
    events.emit({
      publishedAt: notification.Timestamp,
      messageId: notification.MessageId,
      event: parseEvent(notification.Message),
    });
  });
  const publisher = bus.publisher();

  const relay = new OutboxRelay(new EventOutbox(layout.outboxDir, { fsync }), publisher, {
    pollMs: settings.outboxPollMs,
    onProblem: (line) => taskLog.write(line),
  });
  const taskWatch = new TaskWatch({
    journal,
    publisher,
    relayOutbox: () => relay.relayNow(),
    onProblem: (line) => taskLog.write(line),
    tasksLoad: containerLoads.loadedBy === "task",
    relaunch: (request) => tasks.launch(request),
    deferRelaunch: (request) => tasks.deferLaunch(request),
    maxAttempts: settings.taskMaxAttempts,
    // The launcher's backoff, as after its failed receives: 1 s before attempt 2, then 2 s, 4 s…
    retryDelayMs: (attempt) =>
      retryDelayOf(
        settings.functions.launcher,
        { settings: queues.launcher.settings, deadLetterQueue: undefined },
        attempt - 1,
      ) ?? 0,
  });
  const tasks = new LocalTaskRunner({
    args: [options.legacyEntrypoint ?? findLegacyEntrypoint()],
    environment: {
      ...environment,
      ...legacySettingsOf(process.env),
      ...containerLoads.taskEnvironment,
      [STAGING_GZIP_LEVEL_ENV]: String(settings.stagingGzipLevel),
      [ENV.taskMaxAttempts]: String(settings.taskMaxAttempts),
      [LOCAL_ENV.stateDir]: stateDir,
      ...(fsync ? { [LOCAL_ENV.fsync]: "1" } : {}),
      POWERTOOLS_LOG_LEVEL: logLevel === "SILENT" ? "INFO" : logLevel,
    },
    tasksDir: layout.tasksDir,
    fsync,
    stopTimeoutMs: settings.taskStopTimeoutMs,
    onOutput: (line) => taskLog.write(`[${line.runId} ${line.stream}] ${line.line}`),
    onExit: (exit) => taskWatch.onExit(exit),
  });

  const target = createLoadTarget(databaseUrl);
  const transformWorkers = new TransformWorkers({
    workers: settings.fanOut.workers,
    contractsDir,
    bucketsDir: layout.bucketsDir,
    fsync,
    logLevel,
    gzipLevel: settings.stagingGzipLevel,
  });
  const handlers = phaseHandlers({ store, target, publisher, tasks, logLevel, transformWorkers });
  const host = new FunctionHost({
    pollIntervalMs: settings.pollIntervalMs,
    ...(options.onInvocation ? { onInvocation: options.onInvocation } : {}),
  });
  for (const name of FUNCTION_NAMES) {
    const fnSettings = { ...settings.functions[name] };
    // PGlite is one connection in this process: loads run one at a time.
    if (name === "loader" && !isServerUrl(databaseUrl)) fnSettings.reservedConcurrency = 1;
    // A part in every worker while one more invocation cuts the next object into parts.
    if (name === "transform")
      fnSettings.reservedConcurrency = Math.max(fnSettings.reservedConcurrency, settings.fanOut.workers + 1);
    await host.register({
      name,
      queue: queues[name],
      environment:
        name === "loader"
          ? {
              ...environment,
              [ENV.databaseUrl]: databaseUrl,
              [ENV.maxReceiveCount]: String(settings.queues.maxReceiveCount),
            }
          : name === "transform"
            ? transformEnvironment
            : environment,
      settings: fnSettings,
      createHandler: (env) => {
        const handler = handlers[name](env);
        return options.wrapHandler ? options.wrapHandler(name, handler) : handler;
      },
    });
  }
  return {
    layout,
    settings,
    databaseUrl,
    store,
    bus,
    queues,
    journal,
    ingests: new IngestJournal(layout.ingestsDir, { fsync }),
    events,
    host,
    tasks,
    taskWatch,
    relay,
    taskLog,
    transformWorkers,
    target,
    publisher,
    registry,
    loaderLogger: createLogger("loader", { level: logLevel, stderr: true }),
  };
}

/**
 * The legacy wrapper's settings (`SLUICE_LEGACY_TIMEOUT_MS`, `SLUICE_LEGACY_COMMAND`, …) set for
 * the CLI: its tasks get them, as the task definition's environment gives them in AWS.
 */
function legacySettingsOf(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const name of Object.values(LEGACY_ENV)) {
    const value = env[name];
    if (value !== undefined) settings[name] = value;
  }
  return settings;
}

/**
 * One queue per function, each with its DLQ; the consumers' with the infrastructure's filter
 * policy, the loader's with `loaderFilter` (see `containerLoadsFor`).
 */
async function createQueues(
  bus: LocalBus,
  settings: LocalPipelineSettings,
  loaderFilter: EventFilter,
): Promise<Record<FunctionName, LocalQueue>> {
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
              filterPolicy: name === "loader" ? loaderFilter : CONSUMER_FILTERS[name],
              rawMessageDelivery: settings.queues.rawMessageDelivery,
            },
          }),
    });
  }
  return queues;
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
