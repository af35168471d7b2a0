import { resolve } from "node:path";
import { Command, Option } from "commander";
import type { Dispatch } from "./cli-contract";
import { declareContractCommands } from "./cli-contract";
import { parseCount, timeoutOption, withAwsOptions } from "./command-options";
import { demo } from "./commands/demo";
import { dlqList } from "./commands/dlq-list";
import { dlqRedrive } from "./commands/dlq-redrive";
import { DEFAULT_REJECTS_LIMIT, rejects } from "./commands/rejects";
import { type ReplayState, replay } from "./commands/replay";
import { run } from "./commands/run";
import { sql } from "./commands/sql";
import { status } from "./commands/status";
import { DEFAULT_UI_PORT, ui } from "./commands/ui";
import { unload } from "./commands/unload";
import { watch } from "./commands/watch";
import type { GlobalOptions } from "./context";
import { reportFailure } from "./errors";
import { EXIT, type ExitCode } from "./exit-codes";
import type { CliIo } from "./io";
import { createReporter } from "./report/reporter";
import type { AwsOptions } from "./status/aws-sources";

/** Default state directory: `.sluice` in the working directory (or `SLUICE_STATE_DIR`). */
export const DEFAULT_STATE_DIR = ".sluice";

/**
 * Runs the `sluice` command line `argv` (without `node` and the script) and resolves its exit code.
 * Output goes to `io`; nothing here calls `process.exit`. Every failure becomes an exit code in
 * one place (`reportFailure`), by its class.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  const program = declareCommands(io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    return reportFailure(error, io);
  }
}

/** A yes/no environment variable: `1`, `true`, `yes`, `on` (any case) are yes. */
function isOn(value: string | undefined): boolean {
  return ["1", "true", "yes", "on"].includes((value ?? "").trim().toLowerCase());
}

/** The command line: each command's arguments and options, mapped onto its handler's options. */
function declareCommands(io: CliIo, setExit: (code: ExitCode) => void): Command {
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
    .addOption(
      new Option(
        "--contracts <dir>",
        "folder of dataset contracts to run with (default: packages/datasets/contracts of this checkout)",
      ).env("SLUICE_CONTRACTS_DIR"),
    )
    .option("-v, --verbose", "print the phases' JSON logs and the container tasks' output", false)
    .option(
      "--fsync",
      "fsync every write to the state directory, so it survives a power cut (slower; also SLUICE_FSYNC=1)",
      false,
    )
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
    .exitOverride()
    .showHelpAfterError()
    .addHelpText(
      "after",
      `
Exit codes: 0 ok · 1 unexpected error · 2 usage · 3 some object failed, was quarantined or is in a DLQ
            4 not found · 5 timed out before the pipeline drained · 6 state directory in use · 7 refused`,
    );
  /** Runs `handler` with its options and this run's context; its exit code becomes the CLI's. */
  const dispatch: Dispatch = async (handler, options, flags = {}) => {
    const opts = program.opts<{
      stateDir: string;
      databaseUrl?: string;
      contracts?: string;
      verbose: boolean;
      fsync: boolean;
    }>();
    const globals: GlobalOptions = {
      stateDir: resolve(opts.stateDir),
      ...(opts.databaseUrl ? { databaseUrl: opts.databaseUrl } : {}),
      ...(opts.contracts ? { contractsDir: resolve(opts.contracts) } : {}),
      verbose: opts.verbose,
      fsync: opts.fsync || isOn(process.env.SLUICE_FSYNC),
    };
    setExit(await handler(options, { io, globals, reporter: createReporter(io, Boolean(flags.json)) }));
  };

  program
    .command("demo")
    .description("load the shipped sample files end to end and print what happened to each")
    .addOption(timeoutOption())
    .option("--json", "print the summary as JSON")
    .action((opts: { timeout: number; json?: boolean }) => dispatch(demo, { timeoutMs: opts.timeout }, opts));

  program
    .command("run")
    .description(
      "ingest files (or every file below a folder) into the raw bucket and wait until they are through; without paths, resume unfinished work",
    )
    .argument("[paths...]", "files or folders; a folder's files are keyed by their path inside it")
    .option("--prefix <prefix>", "put this in front of every key, e.g. orders/", "")
    .addOption(timeoutOption())
    .option("--json", "print the result as JSON")
    .action((paths: string[], opts: { prefix: string; timeout: number; json?: boolean }) =>
      dispatch(run, { paths, prefix: opts.prefix, timeoutMs: opts.timeout }, opts),
    );

  program
    .command("watch")
    .description("keep running: files dropped into the folder flow through the pipeline (Ctrl-C stops)")
    .argument("<dir>", "the folder to watch; files are keyed by their path inside it")
    .option("--prefix <prefix>", "put this in front of every key", "")
    .option("--interval <ms>", "how often to look for new or changed files", "1000")
    .action((dir: string, opts: { prefix: string; interval: string }) =>
      dispatch(watch, { dir, prefix: opts.prefix, intervalMs: Number(opts.interval) }),
    );

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
  ).action(
    (
      which: string | undefined,
      opts: AwsOptions & { aws?: boolean; dataset?: string; since?: string; json?: boolean },
    ) => dispatch(status, { ...opts, ...(which !== undefined ? { which } : {}) }, opts),
  );

  withAwsOptions(
    program
      .command("rejects")
      .description(
        "the rejected rows of a run: line, field, reason and value, from the transform and the loader (locally, or in a deployed environment)",
      )
      .argument("<key-or-run-id>", "an object key (its latest run), a key prefix ending in /, or a run id")
      .option(
        "--staging-bucket <bucket>",
        "the deployed staging bucket (default: the stack's staging_bucket output)",
      )
      .addOption(
        new Option("--limit <n>", "list at most this many rejected rows per run (0: all)")
          .argParser(parseCount)
          .default(DEFAULT_REJECTS_LIMIT),
      )
      .option("--json", "print JSON"),
  ).action((which: string, opts: AwsOptions & { aws?: boolean; limit: number; json?: boolean }) =>
    dispatch(rejects, { ...opts, which }, opts),
  );

  program
    .command("replay")
    .description(
      "re-emit objects already in the raw bucket, without re-uploading (backfill, after a fix or a contract change)",
    )
    .option("--prefix <prefix>", "objects whose key starts with this ('' for all)")
    .option("--dataset <name>", "objects whose key this dataset's contract claims")
    .option("--since <time>", "only objects written at or after this ISO time")
    .addOption(
      new Option("--state <state>", "which objects, by their latest run")
        .choices(["failed", "quarantined", "all"])
        .default("all"),
    )
    .option("--no-wait", "only re-emit; do not run the pipeline until drained")
    .addOption(timeoutOption())
    .option("--json", "print JSON")
    .action(
      (opts: {
        prefix?: string;
        dataset?: string;
        since?: string;
        state: ReplayState;
        wait: boolean;
        timeout: number;
        json?: boolean;
      }) =>
        dispatch(
          replay,
          {
            ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}),
            ...(opts.dataset ? { dataset: opts.dataset } : {}),
            ...(opts.since ? { since: opts.since } : {}),
            state: opts.state,
            wait: opts.wait,
            timeoutMs: opts.timeout,
          },
          opts,
        ),
    );

  program
    .command("unload")
    .description(
      "take an object's rows back out of its table (by lineage), mark it unloaded in the ledger; replay loads it again",
    )
    .argument("<key-or-run-id>", "an object key (each loaded run of it) or a run id")
    .option("--json", "print JSON")
    .action((which: string, opts: { json?: boolean }) => dispatch(unload, { which }, opts));

  const dlq = program.command("dlq").description("dead-letter queues: what is parked, and sending it back");
  withAwsOptions(
    dlq
      .command("list")
      .description("messages in the dead-letter queues (locally, or in a deployed environment)")
      .argument("[queue]", "one queue (e.g. loader or loader-dlq)")
      .option("--json", "print JSON"),
  ).action((queue: string | undefined, opts: AwsOptions & { aws?: boolean; json?: boolean }) =>
    dispatch(dlqList, { ...opts, ...(queue !== undefined ? { queue } : {}) }, opts),
  );
  withAwsOptions(
    dlq
      .command("redrive")
      .description(
        "move dead-lettered messages back to their queue, then run the pipeline until drained (in AWS: start SQS message move tasks)",
      )
      .argument("[queue]", "one queue (default: all)")
      .option("--no-wait", "only move the messages back")
      .addOption(timeoutOption())
      .option("--json", "print JSON"),
  ).action(
    (
      queue: string | undefined,
      opts: AwsOptions & { aws?: boolean; wait: boolean; timeout: number; json?: boolean },
    ) =>
      dispatch(
        dlqRedrive,
        { ...opts, timeoutMs: opts.timeout, ...(queue !== undefined ? { queue } : {}) },
        opts,
      ),
  );

  declareContractCommands(program, dispatch);

  withAwsOptions(
    program
      .command("ui")
      .description(
        "a web page on 127.0.0.1 of what status reads, live: datasets, objects, throughput, rejected rows, DLQs (Ctrl-C stops)",
      )
      .addOption(
        new Option("--port <n>", "port to listen on (0: any free one)")
          .argParser(parseCount)
          .default(DEFAULT_UI_PORT),
      )
      .option("--open", "open the page in the default browser", false)
      .option("--allow-actions", "enable the redrive and replay buttons", false)
      .addOption(
        new Option("--refresh <ms>", "how often to look for changes while a page is open")
          .argParser(parseCount)
          .default(1000),
      )
      .addOption(timeoutOption()),
  ).action(
    (
      opts: AwsOptions & {
        aws?: boolean;
        port: number;
        open: boolean;
        allowActions: boolean;
        refresh: number;
        timeout: number;
      },
    ) =>
      dispatch(ui, {
        ...opts,
        refreshMs: Math.max(100, opts.refresh),
        timeoutMs: opts.timeout,
      }),
  );

  program
    .command("sql")
    .description("run one SQL statement against the database the pipeline loads into")
    .argument("<statement>", 'e.g. "select status, count(*) from orders group by 1"')
    .option("--json", "print rows as JSON")
    .action((statement: string, opts: { json?: boolean }) => dispatch(sql, { statement }, opts));

  return program;
}
