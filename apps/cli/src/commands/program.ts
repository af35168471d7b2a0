import { existsSync, readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { ConfigError, isRunId, type LoadTarget, runIdOf } from "@sluice/core";
import { createLoadTarget } from "@sluice/loader";
import { DLQ_SUFFIX, LocalBus, localStateLayout } from "@sluice/local";
import { Command, CommanderError, Option } from "commander";
import { type LocalPipeline, runtimeHolding } from "../pipeline/local-pipeline";
import {
  type AwsOptions,
  awsDeadLetterQueues,
  createAwsClients,
  readAwsStatus,
  resolveAwsLocation,
  wantsAws,
} from "../status/aws-sources";
import {
  BAD_STATES,
  collectRunStatuses,
  type DeadLetterSource,
  type RunState,
  type RunStatus,
} from "../status/object-status";
import { EXIT, type ExitCode } from "./exit-codes";
import { type CliIo, formatTable } from "./io";
import {
  CliError,
  exitCodeOf,
  filesToIngest,
  followUntilDrained,
  type GlobalOptions,
  ingestFiles,
  parseSeconds,
  readStatus,
  runsTable,
  stateText,
  withPipeline,
} from "./session";

/** Default state directory: `.sluice` in the working directory (or `SLUICE_STATE_DIR`). */
export const DEFAULT_STATE_DIR = ".sluice";

/** Default `--timeout` of commands that wait for the pipeline to drain, in seconds. */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 600;

/** The folder holding the demo's sample files (`raw/`) and what each should end as (`expected.json`). */
export function samplesDir(): string {
  for (const candidate of [join(__dirname, "..", "samples"), join(__dirname, "..", "..", "samples")]) {
    if (existsSync(join(candidate, "expected.json"))) return candidate;
  }
  throw new ConfigError("the sample files are missing (apps/cli/samples)");
}

/**
 * Runs the `sluice` command line `argv` (without `node` and the script) and resolves its exit code.
 * Output goes to `io`; nothing here calls `process.exit`.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const setExit = (code: ExitCode) => {
    exitCode = code;
  };
  const program = buildProgram(io, setExit);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.ok;
      if (error.code === "commander.help") return EXIT.ok;
      return EXIT.usage;
    }
    if (error instanceof CliError) {
      io.err(`sluice: ${error.message}`);
      return error.exitCode;
    }
    if (error instanceof ConfigError) {
      io.err(`sluice: ${error.message}`);
      return /another sluice runtime/.test(error.message) ? EXIT.busy : EXIT.usage;
    }
    io.err(`sluice: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.error;
  }
}

function buildProgram(io: CliIo, setExit: (code: ExitCode) => void): Command {
  const program = new Command("sluice")
    .description("Sluice on one machine: the whole pipeline, on the same phase code as in AWS.")
    .addOption(
      new Option("--state-dir <dir>", "where buckets, queues, events and the embedded database live")
        .env("SLUICE_STATE_DIR")
        .default(DEFAULT_STATE_DIR),
    )
    .addOption(
      new Option(
        "--database-url <url>",
        "Postgres to load into (default: embedded PGlite in <state-dir>/pglite)",
      ).env("DATABASE_URL"),
    )
    .option("-v, --verbose", "print the phases' JSON logs and the container tasks' output", false)
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      "after",
      `
Exit codes: 0 ok · 1 unexpected error · 2 usage · 3 some object failed, was quarantined or is in a DLQ
            4 not found · 5 timed out before the pipeline drained · 6 state directory in use`,
    );
  const globals = (): GlobalOptions => {
    const opts = program.opts<{ stateDir: string; databaseUrl?: string; verbose: boolean }>();
    return { stateDir: resolve(opts.stateDir), databaseUrl: opts.databaseUrl, verbose: opts.verbose };
  };

  program
    .command("demo")
    .description("load the shipped sample files end to end and print what happened to each")
    .option("--timeout <seconds>", "give up waiting after this long", String(DEFAULT_DRAIN_TIMEOUT_SECONDS))
    .option("--json", "print the summary as JSON")
    .action(async (opts: { timeout: string; json?: boolean }) => {
      setExit(await demo(globals(), io, parseSeconds(opts.timeout), Boolean(opts.json)));
    });

  program
    .command("run")
    .description(
      "ingest files (or every file below a folder) into the raw bucket and wait until they are through; without paths, resume unfinished work",
    )
    .argument("[paths...]", "files or folders; a folder's files are keyed by their path inside it")
    .option("--prefix <prefix>", "put this in front of every key, e.g. orders/", "")
    .option("--timeout <seconds>", "give up waiting after this long", String(DEFAULT_DRAIN_TIMEOUT_SECONDS))
    .option("--json", "print the result as JSON")
    .action(async (paths: string[], opts: { prefix: string; timeout: string; json?: boolean }) => {
      setExit(await run(globals(), io, paths, opts.prefix, parseSeconds(opts.timeout), Boolean(opts.json)));
    });

  program
    .command("watch")
    .description("keep running: files dropped into the folder flow through the pipeline (Ctrl-C stops)")
    .argument("<dir>", "the folder to watch; files are keyed by their path inside it")
    .option("--prefix <prefix>", "put this in front of every key", "")
    .option("--interval <ms>", "how often to look for new or changed files", "1000")
    .action(async (dir: string, opts: { prefix: string; interval: string }) => {
      setExit(await watch(globals(), io, dir, opts.prefix, Number(opts.interval)));
    });

  withAwsOptions(
    program
      .command("status")
      .description(
        "each object's lifecycle: received, routed, staged or quarantined, loaded, failed, in a DLQ (locally, or in a deployed environment with --env/--outputs/--archive)",
      )
      .argument("[key-or-run-id]", "one object key (or key prefix ending in /) or run id")
      .option("--dataset <name>", "only this dataset")
      .option("--since <time>", "only activity since this ISO time")
      .option("--json", "print JSON"),
  ).action(async (which: string | undefined, opts: StatusOptions) => {
    setExit(await status(globals(), io, which, opts));
  });

  program
    .command("replay")
    .description("re-emit objects already in the raw bucket, without re-uploading (backfill, or after a fix)")
    .requiredOption("--prefix <prefix>", "objects whose key starts with this ('' for all)")
    .option("--since <time>", "only objects written at or after this ISO time")
    .addOption(
      new Option("--state <state>", "which objects, by their latest run")
        .choices(["failed", "quarantined", "all"])
        .default("all"),
    )
    .option("--no-wait", "only re-emit; do not run the pipeline until drained")
    .option("--timeout <seconds>", "give up waiting after this long", String(DEFAULT_DRAIN_TIMEOUT_SECONDS))
    .option("--json", "print JSON")
    .action(
      async (opts: {
        prefix: string;
        since?: string;
        state: string;
        wait: boolean;
        timeout: string;
        json?: boolean;
      }) => {
        setExit(await replay(globals(), io, opts));
      },
    );

  const dlq = program.command("dlq").description("dead-letter queues: what is parked, and sending it back");
  withAwsOptions(
    dlq
      .command("list")
      .description("messages in the dead-letter queues (locally, or in a deployed environment)")
      .argument("[queue]", "one queue (e.g. loader or loader-dlq)")
      .option("--json", "print JSON"),
  ).action(async (queue: string | undefined, opts: AwsOptions & { aws?: boolean; json?: boolean }) => {
    const queues = wantsAws(opts) ? await awsQueues(opts) : await localQueues(globals());
    setExit(await dlqList(io, selectQueues(queues, queue), Boolean(opts.json)));
  });
  withAwsOptions(
    dlq
      .command("redrive")
      .description(
        "move dead-lettered messages back to their queue, then run the pipeline until drained (in AWS: start SQS message move tasks)",
      )
      .argument("[queue]", "one queue (default: all)")
      .option("--no-wait", "only move the messages back")
      .option("--timeout <seconds>", "give up waiting after this long", String(DEFAULT_DRAIN_TIMEOUT_SECONDS))
      .option("--json", "print JSON"),
  ).action(
    async (
      queue: string | undefined,
      opts: AwsOptions & { aws?: boolean; wait: boolean; timeout: string; json?: boolean },
    ) => {
      setExit(
        wantsAws(opts) ? await awsRedrive(io, queue, opts) : await dlqRedrive(globals(), io, queue, opts),
      );
    },
  );

  program
    .command("sql")
    .description("run one SQL statement against the database the pipeline loads into")
    .argument("<statement>", 'e.g. "select status, count(*) from orders group by 1"')
    .option("--json", "print rows as JSON")
    .action(async (statement: string, opts: { json?: boolean }) => {
      setExit(await sql(globals(), io, statement, Boolean(opts.json)));
    });

  return program;
}

async function demo(options: GlobalOptions, io: CliIo, timeoutMs: number, json: boolean): Promise<ExitCode> {
  const samples = samplesDir();
  const expected = JSON.parse(readFileSync(join(samples, "expected.json"), "utf8")) as Record<
    string,
    RunState
  >;
  const files = await filesToIngest([join(samples, "raw")]);
  if (!json)
    io.out(
      `Loading ${files.length} sample files into ${options.databaseUrl ? "Postgres" : "the embedded Postgres (PGlite)"}…`,
    );
  const since = new Date().toISOString();
  return withPipeline(options, io, async (pipeline, interrupted) => {
    const ingested = await ingestFiles(pipeline, files);
    const outcome = await followUntilDrained(pipeline, io, {
      timeoutMs,
      interrupted,
      quiet: json || !io.isTTY,
    });
    const runIds = new Set(ingested.map((object) => object.runId));
    const runs = (await runStatusesSince(pipeline, since)).filter((run) => runIds.has(run.runId));
    const unexpected = runs.filter(
      (run) => expected[run.key] !== undefined && expected[run.key] !== run.state,
    );
    const missing = ingested.filter((object) => !runs.some((run) => run.runId === object.runId));
    const alreadyLoaded = runs.filter((run) => run.load?.alreadyLoaded).length;
    if (json) {
      io.out(
        JSON.stringify({ outcome, runs, unexpected: unexpected.map((r) => r.key), alreadyLoaded }, null, 2),
      );
    } else {
      io.out("");
      io.out(runsTable(runs));
      io.out("");
      if (alreadyLoaded > 0) {
        io.out(
          `${alreadyLoaded} of ${runs.length} objects were already loaded by an earlier run: nothing was loaded twice.`,
        );
      }
      for (const run of runs.filter((r) => r.state === "quarantined")) {
        io.out(`quarantined ${run.key}: ${run.message ?? run.reason}`);
      }
      if (outcome !== "drained")
        io.out(`The pipeline did not finish (${outcome}); run the demo again to resume.`);
      for (const run of unexpected)
        io.out(`UNEXPECTED: ${run.key} is ${run.state}, expected ${expected[run.key]}`);
      io.out(queryHint(options));
    }
    if (outcome === "interrupted") return EXIT.attention;
    if (outcome === "timeout") return EXIT.timeout;
    return unexpected.length > 0 || missing.length > 0 ? EXIT.attention : EXIT.ok;
  });
}

/** Every run the running pipeline's events, ledger and DLQs say moved since `since`. */
function runStatusesSince(pipeline: LocalPipeline, since: string): Promise<RunStatus[]> {
  return collectRunStatuses({
    events: pipeline.journal.entries(),
    target: pipeline.target,
    deadLetterQueues: pipeline.bus.deadLetterQueues(),
    since,
  });
}

function queryHint(options: GlobalOptions): string {
  const lines = ["Query the loaded tables:"];
  if (options.databaseUrl) {
    lines.push(
      `  psql "${options.databaseUrl}" -c "select status, count(*), sum(amount) from orders group by status"`,
    );
  } else {
    lines.push(`  pnpm sluice sql "select status, count(*), sum(amount) from orders group by status"`);
    lines.push(`  pnpm sluice sql "select * from sluice.load_ledger"`);
  }
  lines.push("Follow one object:  pnpm sluice status 'orders/2026-03 orders with bad rows.csv'");
  return lines.join("\n");
}

async function run(
  options: GlobalOptions,
  io: CliIo,
  paths: string[],
  prefix: string,
  timeoutMs: number,
  json: boolean,
): Promise<ExitCode> {
  const files = await filesToIngest(paths, prefix);
  if (paths.length > 0 && files.length === 0) throw new CliError("no files to ingest", EXIT.usage);
  const since = new Date().toISOString();
  return withPipeline(options, io, async (pipeline, interrupted) => {
    const ingested = await ingestFiles(pipeline, files);
    if (!json) {
      io.out(
        paths.length > 0
          ? `ingested ${ingested.length} object(s) into ${pipeline.settings.buckets.raw}`
          : "resuming unfinished work",
      );
    }
    const outcome = await followUntilDrained(pipeline, io, { timeoutMs, interrupted, quiet: json });
    const runIds = new Set(ingested.map((object) => object.runId));
    // Without paths, report every run that moved during this resume.
    const runs = (await runStatusesSince(pipeline, since)).filter(
      (r) => paths.length === 0 || runIds.has(r.runId),
    );
    if (json) io.out(JSON.stringify({ outcome, runs }, null, 2));
    else io.out(runsTable(runs));
    if (outcome === "timeout") return EXIT.timeout;
    if (outcome === "interrupted") return EXIT.attention;
    return exitCodeOf(runs);
  });
}

async function watch(
  options: GlobalOptions,
  io: CliIo,
  dir: string,
  prefix: string,
  intervalMs: number,
): Promise<ExitCode> {
  if (!Number.isInteger(intervalMs) || intervalMs < 50)
    throw new CliError("--interval must be at least 50 ms", EXIT.usage);
  if (!(await stat(dir).catch(() => undefined))?.isDirectory())
    throw new CliError(`${dir} is not a folder`, EXIT.usage);
  return withPipeline(options, io, async (pipeline, interrupted) => {
    io.out(`watching ${resolve(dir)} (Ctrl-C to stop)`);
    const unsubscribe = pipeline.onEvent(({ event }) => {
      io.out(`${event.type.slice("sluice.object.".length).padEnd(11)} ${event.data.object.key}`);
    });
    // A file is ingested once its size and mtime held still for one interval (not mid-copy),
    // and again whenever they change.
    const ingested = new Map<string, string>();
    const seen = new Map<string, string>();
    let stopped = false;
    void interrupted.then(() => {
      stopped = true;
    });
    while (!stopped) {
      for (const file of await filesToIngest([dir], prefix)) {
        const info = await stat(file.path).catch(() => undefined);
        if (!info) continue;
        const signature = `${info.size}:${info.mtimeMs}`;
        const previous = seen.get(file.key);
        seen.set(file.key, signature);
        if (previous !== signature || ingested.get(file.key) === signature) continue;
        await ingestFiles(pipeline, [file]);
        ingested.set(file.key, signature);
      }
      await Promise.race([new Promise((done) => setTimeout(done, intervalMs)), interrupted]);
    }
    unsubscribe();
    return EXIT.ok;
  });
}

/** Options of `sluice status`. */
type StatusOptions = AwsOptions & { aws?: boolean; dataset?: string; since?: string; json?: boolean };

/** The options that point a read command at a deployed environment instead of the state directory. */
function withAwsOptions(command: Command): Command {
  return command
    .option(
      "--aws",
      "read the deployed environment (events archive, ledger, SQS DLQs), not the state directory",
    )
    .option(
      "--env <stack>",
      "a deployed stack (dev, prod): its `terraform output -json` says where everything is",
    )
    .option(
      "--stacks-dir <dir>",
      "folder of the synthesised stacks, for --env",
      "infrastructure/cdktf.out/stacks",
    )
    .option("--outputs <file>", "a saved `terraform output -json` of the stack")
    .option("--archive <s3-url>", "the events archive, s3://bucket/prefix (output events_archive_url)")
    .option("--region <region>", "AWS region (default: the outputs' region, then the SDK's)")
    .option(
      "--dlq-url <url>",
      "a dead-letter queue URL (repeatable)",
      (url: string, urls: string[]) => [...urls, url],
      [] as string[],
    )
    .option("--dlq-prefix <prefix>", "also look at every queue named <prefix>…-dlq, e.g. sluice-dev-");
}

/** Status of the deployed environment: archive + ledger (with --database-url) + SQS DLQs. */
async function readAwsStatusOf(options: GlobalOptions, io: CliIo, opts: StatusOptions): Promise<RunStatus[]> {
  const location = await resolveAwsLocation(opts);
  const clients = createAwsClients(location.region);
  let target: LoadTarget | undefined;
  if (options.databaseUrl && /^postgres(ql)?:\/\//i.test(options.databaseUrl)) {
    target = createLoadTarget(options.databaseUrl);
  } else {
    io.err("note: no --database-url (Postgres): status shows events and DLQs only, without the ledger");
  }
  let skipped = 0;
  try {
    const runs = await readAwsStatus(location, clients, {
      ...(target ? { target } : {}),
      ...(opts.since ? { since: opts.since } : {}),
      onSkipped: (line) => {
        skipped += 1;
        if (options.verbose)
          io.err(`skipped s3://${location.archive.bucket}/${line.key} line ${line.line}: ${line.reason}`);
      },
    });
    if (skipped > 0)
      io.err(`note: ${skipped} archive line(s) were not Sluice events and were skipped (-v lists them)`);
    return runs;
  } finally {
    await target?.close();
    clients.s3.destroy();
    clients.sqs.destroy();
  }
}

async function status(
  options: GlobalOptions,
  io: CliIo,
  which: string | undefined,
  filter: StatusOptions,
): Promise<ExitCode> {
  let runs = wantsAws(filter)
    ? await readAwsStatusOf(options, io, filter)
    : await readStatus(options, io, filter.since ? { since: filter.since } : {});
  if (filter.dataset) runs = runs.filter((run) => run.dataset === filter.dataset);
  if (which !== undefined) {
    const asKey: string = which;
    runs = isRunId(which)
      ? runs.filter((run) => run.runId === which)
      : runs.filter((run) => run.key === asKey || (asKey.endsWith("/") && run.key.startsWith(asKey)));
    if (runs.length === 0) {
      if (filter.json) io.out("[]");
      io.err(`sluice: no run known for ${which}`);
      return EXIT.notFound;
    }
  }
  if (filter.json) {
    io.out(JSON.stringify(runs, null, 2));
  } else if (runs.length === 0) {
    io.out("no objects yet: try `sluice demo` or `sluice run <files>`");
  } else if (which !== undefined && runs.length <= 3) {
    for (const run of runs) io.out(describeRun(run));
  } else {
    io.out(runsTable(runs));
  }
  return exitCodeOf(runs);
}

function describeRun(run: RunStatus): string {
  const lines = [
    `${run.key}`,
    `  run        ${run.runId}`,
    `  dataset    ${run.dataset ?? "-"}   route ${run.route ?? "-"}`,
    `  status     ${stateText(run)}`,
  ];
  if (run.message) lines.push(`  why        ${run.message}`);
  for (const rejection of run.firstRejections ?? []) {
    lines.push(`    line ${rejection.line} field ${rejection.field}: ${rejection.reason}`);
  }
  if (run.rows)
    lines.push(
      `  rows       ${run.rows.total} read, ${run.rows.staged} staged, ${run.rows.rejected} rejected`,
    );
  if (run.load) {
    lines.push(
      `  loaded     into ${run.load.table}: ${run.load.inserted} inserted, ${run.load.updated} updated, ${run.load.unchanged} unchanged${run.load.alreadyLoaded ? " (already loaded)" : ""}`,
    );
  }
  if (run.ledger)
    lines.push(
      `  ledger     ${run.ledger.status}, ${run.ledger.attempts} deliveries, loaded at ${run.ledger.loadedAt ?? "-"}`,
    );
  for (const parked of run.deadLetters) {
    lines.push(
      `  DLQ        ${parked.queue} message ${parked.messageId} after ${parked.receiveCount} receives`,
    );
  }
  for (const [step, time] of Object.entries(run.times)) lines.push(`  ${step.padEnd(10)} ${time}`);
  return lines.join("\n");
}

async function replay(
  options: GlobalOptions,
  io: CliIo,
  opts: { prefix: string; since?: string; state: string; wait: boolean; timeout: string; json?: boolean },
): Promise<ExitCode> {
  const since = opts.since ? Date.parse(opts.since) : undefined;
  if (since !== undefined && Number.isNaN(since))
    throw new CliError(`--since ${opts.since} is not a time`, EXIT.usage);
  const wanted: ReadonlySet<RunState> | undefined =
    opts.state === "failed"
      ? new Set<RunState>(["failed", "dead-lettered"])
      : opts.state === "quarantined"
        ? new Set<RunState>(["quarantined"])
        : undefined;
  const latest = new Map<string, RunStatus>();
  if (wanted)
    for (const run of await readStatus(options, io)) latest.set(`${run.bucket}\u0000${run.key}`, run);
  const timeoutMs = parseSeconds(opts.timeout);
  const startedAt = new Date().toISOString();
  return withPipeline(options, io, async (pipeline, interrupted) => {
    const bucket = pipeline.settings.buckets.raw;
    const keys: string[] = [];
    for await (const head of pipeline.store.list(bucket, opts.prefix)) {
      if (since !== undefined && head.lastModified.getTime() < since) continue;
      if (wanted) {
        const run = latest.get(`${bucket}\u0000${head.key}`);
        if (!run || !wanted.has(run.state) || run.runId !== runIdOf(head)) continue;
      }
      keys.push(head.key);
    }
    for (const key of keys) await pipeline.replay(key);
    if (!opts.json) io.out(`re-emitted ${keys.length} object(s)`);
    if (!opts.wait || keys.length === 0) {
      if (opts.json) io.out(JSON.stringify({ replayed: keys }, null, 2));
      return EXIT.ok;
    }
    const outcome = await followUntilDrained(pipeline, io, {
      timeoutMs,
      interrupted,
      quiet: Boolean(opts.json),
    });
    const replayedKeys = new Set(keys);
    const runs = (await runStatusesSince(pipeline, startedAt)).filter((run) => replayedKeys.has(run.key));
    if (opts.json) io.out(JSON.stringify({ replayed: keys, outcome, runs }, null, 2));
    else io.out(runsTable(runs));
    if (outcome === "timeout") return EXIT.timeout;
    return exitCodeOf(runs);
  });
}

async function openQueues(options: GlobalOptions): Promise<LocalBus> {
  const bus = new LocalBus({ queuesDir: localStateLayout(options.stateDir).queuesDir });
  await bus.openExisting();
  return bus;
}

function dlqNamesOf(bus: LocalBus, queue: string | undefined): string[] {
  return selectQueues(bus.deadLetterQueues(), queue).map((q) => q.name);
}

/** The named dead-letter queue (`loader` or `loader-dlq`), or all of them. */
function selectQueues<Q extends { name: string }>(queues: readonly Q[], queue: string | undefined): Q[] {
  if (queue === undefined) return [...queues];
  const name = queue.endsWith(DLQ_SUFFIX) ? queue : `${queue}${DLQ_SUFFIX}`;
  const found = queues.filter((q) => q.name === name);
  if (found.length === 0)
    throw new CliError(
      `no dead-letter queue ${name} (known: ${queues.map((q) => q.name).join(", ") || "none"})`,
      EXIT.notFound,
    );
  return found;
}

async function localQueues(options: GlobalOptions): Promise<DeadLetterSource[]> {
  return (await openQueues(options)).deadLetterQueues();
}

async function awsQueues(opts: AwsOptions) {
  const location = await resolveAwsLocation(opts);
  return awsDeadLetterQueues(location, createAwsClients(location.region).sqs);
}

async function dlqList(io: CliIo, queues: readonly DeadLetterSource[], json: boolean): Promise<ExitCode> {
  const listed: {
    queue: string;
    messageId: string;
    receiveCount: number;
    sentAt: string;
    subject: string;
  }[] = [];
  for (const queue of queues) {
    const messages = await queue.messages();
    const snapshot: DeadLetterSource = { name: queue.name, messages: async () => messages };
    const runs = await collectRunStatuses({ events: [], deadLetterQueues: [snapshot] });
    for (const message of messages) {
      const run = runs.find((r) => r.deadLetters.some((d) => d.messageId === message.messageId));
      listed.push({
        queue: queue.name,
        messageId: message.messageId,
        receiveCount: message.receiveCount,
        sentAt: new Date(message.sentTimestamp).toISOString(),
        subject: run ? run.key : message.body.slice(0, 80),
      });
    }
  }
  if (json) io.out(JSON.stringify(listed, null, 2));
  else if (listed.length === 0) io.out("the dead-letter queues are empty");
  else {
    io.out(
      formatTable(
        ["QUEUE", "MESSAGE", "RECEIVES", "SENT", "OBJECT"],
        listed.map((m) => [m.queue, m.messageId, String(m.receiveCount), m.sentAt, m.subject]),
      ),
    );
  }
  return listed.length > 0 ? EXIT.attention : EXIT.ok;
}

/** In AWS a redrive is an SQS message move task per queue; the deployed consumers do the rest. */
async function awsRedrive(io: CliIo, queue: string | undefined, opts: AwsOptions & { json?: boolean }) {
  const started: { queue: string; taskHandle: string; messages: number }[] = [];
  for (const dlq of selectQueues(await awsQueues(opts), queue)) {
    const { visible } = await dlq.depth();
    if (visible === 0) continue;
    started.push({ queue: dlq.name, ...(await dlq.redrive()) });
  }
  if (opts.json) io.out(JSON.stringify({ started }, null, 2));
  else if (started.length === 0) io.out("the dead-letter queues are empty");
  else
    for (const task of started)
      io.out(
        `moving ~${task.messages} message(s) from ${task.queue} back to its queue (task ${task.taskHandle})`,
      );
  return EXIT.ok;
}

async function dlqRedrive(
  options: GlobalOptions,
  io: CliIo,
  queue: string | undefined,
  opts: { wait: boolean; timeout: string; json?: boolean },
): Promise<ExitCode> {
  const timeoutMs = parseSeconds(opts.timeout);
  const startedAt = new Date().toISOString();
  if (!opts.wait) {
    const bus = await openQueues(options);
    let moved = 0;
    for (const name of dlqNamesOf(bus, queue)) moved += await bus.redrive(name);
    io.out(opts.json ? JSON.stringify({ moved }) : `moved ${moved} message(s) back to their queues`);
    return EXIT.ok;
  }
  return withPipeline(options, io, async (pipeline, interrupted) => {
    let moved = 0;
    for (const name of dlqNamesOf(pipeline.bus, queue)) moved += await pipeline.bus.redrive(name);
    if (!opts.json) io.out(`moved ${moved} message(s) back to their queues`);
    const outcome = await followUntilDrained(pipeline, io, {
      timeoutMs,
      interrupted,
      quiet: Boolean(opts.json),
    });
    const runs = await runStatusesSince(pipeline, startedAt);
    if (opts.json) io.out(JSON.stringify({ moved, outcome, runs }, null, 2));
    else if (runs.length > 0) io.out(runsTable(runs));
    if (outcome === "timeout") return EXIT.timeout;
    return exitCodeOf(runs);
  });
}

async function sql(options: GlobalOptions, io: CliIo, statement: string, json: boolean): Promise<ExitCode> {
  const layout = localStateLayout(options.stateDir);
  const url = options.databaseUrl ?? layout.pgliteDir;
  if (!options.databaseUrl && !(await readdir(layout.pgliteDir).catch(() => undefined))) {
    throw new CliError(
      `no embedded database in ${layout.pgliteDir} yet: run \`sluice demo\` first`,
      EXIT.notFound,
    );
  }
  if (!options.databaseUrl && (await runtimeHolding(options.stateDir)) !== undefined) {
    throw new CliError("a running sluice runtime holds the embedded database: stop it first", EXIT.busy);
  }
  const target = createLoadTarget(url);
  try {
    const result = await target.query<Record<string, unknown>>(statement);
    if (json) io.out(JSON.stringify(result.rows, null, 2));
    else if (result.rows.length === 0) io.out(`(${result.rowCount} rows)`);
    else {
      const header = Object.keys(result.rows[0]!);
      io.out(
        formatTable(
          header,
          result.rows.map((row) =>
            header.map((h) =>
              row[h] instanceof Date ? (row[h] as Date).toISOString() : String(row[h] ?? ""),
            ),
          ),
        ),
      );
    }
    return EXIT.ok;
  } finally {
    await target.close();
  }
}

/** True when any run is in a state that needs a person. */
export function needsAttention(runs: readonly RunStatus[]): boolean {
  return runs.some((run) => BAD_STATES.has(run.state));
}
