import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { ConfigError, type LoadTarget } from "@sluice/core";
import { createLoadTarget } from "@sluice/loader";
import { EventJournal, LocalBus, localStateLayout } from "@sluice/local";
import {
  createLocalPipeline,
  type IngestedObject,
  type LocalPipeline,
  runtimeHolding,
} from "../pipeline/local-pipeline";
import { BAD_STATES, collectRunStatuses, type RunStatus } from "../status/object-status";
import { EXIT, type ExitCode } from "./exit-codes";
import { type CliIo, formatMs, formatTable } from "./io";

/** Options every command takes. */
export interface GlobalOptions {
  stateDir: string;
  databaseUrl?: string;
  verbose?: boolean;
}

/** A failure a command reports with its own exit code and message. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/**
 * Runs `work` with a started pipeline, then stops it. Ctrl-C stops it cleanly: work in flight
 * stays on disk and the next command resumes it.
 */
export async function withPipeline<T>(
  options: GlobalOptions,
  io: CliIo,
  work: (pipeline: LocalPipeline, interrupted: Promise<void>) => Promise<T>,
  pipelineOptions: Partial<Parameters<typeof createLocalPipeline>[0]> = {},
): Promise<T> {
  const holder = await runtimeHolding(options.stateDir);
  if (holder !== undefined) {
    throw new CliError(
      `another sluice runtime (pid ${holder}) is using ${options.stateDir}: stop it, or pass --state-dir`,
      EXIT.busy,
    );
  }
  const pipeline = await createLocalPipeline({
    stateDir: options.stateDir,
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}),
    logLevel: options.verbose ? "INFO" : "SILENT",
    ...(options.verbose ? { onTaskOutput: (line: string) => io.err(line) } : {}),
    ...pipelineOptions,
  });
  let onSignal: (() => void) | undefined;
  const interrupted = new Promise<void>((resolve) => {
    onSignal = () => {
      io.err("stopping: work in flight stays queued and resumes on the next run");
      resolve();
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  try {
    await pipeline.start();
    return await work(pipeline, interrupted);
  } finally {
    if (onSignal) {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    await pipeline.close();
  }
}

/** A file to ingest and the raw key it gets. */
export interface FileToIngest {
  path: string;
  key: string;
}

/**
 * The files named by `paths`: a directory contributes every file below it, keyed by its path
 * relative to that directory (so `samples/orders/a.csv` in `samples` is `orders/a.csv`); a file
 * is keyed by its name. `prefix` is put in front of every key.
 */
export async function filesToIngest(paths: readonly string[], prefix = ""): Promise<FileToIngest[]> {
  const found: FileToIngest[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new CliError(`${path}: no such file or directory`, EXIT.usage);
    }
    if (info.isDirectory()) {
      for (const file of await walk(path)) {
        found.push({ path: file, key: prefix + relative(path, file).split(sep).join("/") });
      }
    } else {
      found.push({ path, key: prefix + basename(path) });
    }
  }
  return found;
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Streams each file into the raw bucket. */
export async function ingestFiles(
  pipeline: LocalPipeline,
  files: readonly FileToIngest[],
): Promise<IngestedObject[]> {
  const ingested: IngestedObject[] = [];
  for (const file of files) ingested.push(await pipeline.ingest(file.key, createReadStream(file.path)));
  return ingested;
}

/**
 * Shows progress until the pipeline drains: on a terminal one line redrawn in place, otherwise
 * one plain line per event. Resolves whether it drained before `timeoutMs` or an interruption.
 */
export async function followUntilDrained(
  pipeline: LocalPipeline,
  io: CliIo,
  options: { timeoutMs: number; interrupted: Promise<void>; quiet?: boolean },
): Promise<"drained" | "timeout" | "interrupted"> {
  const counts = { received: 0, staged: 0, loaded: 0, quarantined: 0, failed: 0 };
  const redraw = () => {
    if (!options.quiet && io.isTTY) {
      io.out(
        `\r\u001b[2K received ${counts.received} · staged ${counts.staged} · loaded ${counts.loaded} · quarantined ${counts.quarantined} · failed ${counts.failed}`.replace(
          /\n$/,
          "",
        ),
      );
    }
  };
  const unsubscribe = pipeline.onEvent(({ event }) => {
    const step = event.type.slice("sluice.object.".length) as keyof typeof counts;
    counts[step]++;
    if (options.quiet) return;
    if (io.isTTY) redraw();
    else io.out(`${step.padEnd(11)} ${event.data.object.key}${detailOf(event)}`);
  });
  try {
    const outcome = await Promise.race([
      pipeline.drain({ timeoutMs: options.timeoutMs }).then((drained) => (drained ? "drained" : "timeout")),
      options.interrupted.then(() => "interrupted" as const),
    ]);
    return outcome as "drained" | "timeout" | "interrupted";
  } finally {
    unsubscribe();
    if (!options.quiet && io.isTTY) io.out("\n");
  }
}

function detailOf(event: Parameters<Parameters<LocalPipeline["onEvent"]>[0]>[0]["event"]): string {
  const data = event.data as Record<string, unknown>;
  if (event.type === "sluice.object.received")
    return ` (${String(data.dataset)}, route ${String(data.route)})`;
  if (event.type === "sluice.object.loaded") {
    return data.alreadyLoaded
      ? " (already loaded: nothing changed)"
      : ` (${Number(data.inserted)} inserted, ${Number(data.updated)} updated)`;
  }
  if (event.type === "sluice.object.quarantined" || event.type === "sluice.object.failed") {
    return `: ${String(data.reason)}`;
  }
  return "";
}

/** The status text of a run, as a person reads it. */
export function stateText(run: RunStatus): string {
  if (run.state === "loaded") return run.load?.alreadyLoaded ? "already loaded (no change)" : "loaded";
  if (run.reason) return `${run.state}: ${run.reason}`;
  return run.state;
}

/** The per-object summary table. */
export function runsTable(runs: readonly RunStatus[]): string {
  return formatTable(
    ["OBJECT", "DATASET", "ROUTE", "STATUS", "ROWS", "LOADED", "REJECTED", "STAGE", "LOAD"],
    runs.map((run) => [
      run.key,
      run.dataset ?? "-",
      run.route ?? "-",
      stateText(run),
      run.rows ? String(run.rows.total) : "-",
      run.load ? String(run.load.alreadyLoaded ? 0 : run.load.inserted + run.load.updated) : "-",
      run.rows ? String(run.rows.rejected) : "-",
      formatMs(run.durations.stageMs),
      formatMs(run.durations.loadMs),
    ]),
  );
}

/** The exit code a set of runs deserves: attention when any is failed, quarantined or dead-lettered. */
export function exitCodeOf(runs: readonly RunStatus[]): ExitCode {
  return runs.some((run) => BAD_STATES.has(run.state)) ? EXIT.attention : EXIT.ok;
}

/**
 * Reads status without running the pipeline: the journal, the dead-letter queues, and the
 * ledger (skipped, with a note, when the embedded database is held by a running runtime).
 */
export async function readStatus(
  options: GlobalOptions,
  io: CliIo,
  filter: { since?: string } = {},
): Promise<RunStatus[]> {
  const layout = localStateLayout(options.stateDir);
  const bus = new LocalBus({ queuesDir: layout.queuesDir });
  await bus.openExisting();
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || layout.pgliteDir);
  let target: LoadTarget | undefined;
  const embedded = !/^postgres(ql)?:\/\//i.test(databaseUrl);
  if (embedded && (await runtimeHolding(options.stateDir)) !== undefined) {
    io.err("note: a running sluice runtime holds the embedded database; status shows events and DLQs only");
  } else if (!embedded || (await exists(databaseUrl))) {
    target = createLoadTarget(databaseUrl);
  }
  try {
    return await collectRunStatuses({
      events: new EventJournal(layout.journalFile).entries(),
      deadLetterQueues: bus.deadLetterQueues(),
      ...(target ? { target } : {}),
      ...(filter.since ? { since: filter.since } : {}),
    });
  } finally {
    await target?.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Parses `--timeout` seconds. */
export function parseSeconds(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new ConfigError(`--timeout ${value} is not a number of seconds`);
  return seconds * 1000;
}
