import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { join } from "node:path";
import { PassThrough, type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import {
  ContractError,
  createEvent,
  type DatasetContract,
  type DatasetRegistry,
  dispositionOf,
  type EventData,
  type EventPublisher,
  type FormatSpec,
  formatObjectRef,
  type Logger,
  type ObjectStore,
  QuarantineError,
  type SluiceEvent,
} from "@sluice/core";
import { COMMAND_PLACEHOLDERS, DEFAULT_LEGACY_COMMAND, type LegacyWrapperConfig } from "./config";
import { type LegacyProgramResult, runLegacyProgram } from "./legacy-program";
import type { StageFunction } from "./staging";

/** The CloudEvents `source` of events the wrapper publishes. */
export const LEGACY_WRAPPER_SOURCE = "sluice/legacy-wrapper";

/** Why a legacy job failed (the `reason` of its `sluice.object.failed` event). */
export type LegacyFailureReason =
  | "no-contract"
  | "no-layout"
  | "object-unreadable"
  | "download-failed"
  | "legacy-not-started"
  | "legacy-exit-nonzero"
  | "legacy-killed"
  | "legacy-timeout"
  | "unreadable-output"
  | "staging-failed"
  | "stopped";

/** How one legacy job ended. Every outcome has been published as an event. */
export type LegacyJobOutcome =
  | { status: "staged" | "quarantined"; program?: LegacyProgramResult }
  | {
      status: "failed";
      reason: LegacyFailureReason;
      retryable: boolean;
      message: string;
      program?: LegacyProgramResult;
    };

/** The ports and settings one legacy job runs with. */
export interface LegacyJobDeps {
  /** The store the raw object is read from and staged outputs are written to. */
  store: ObjectStore;
  publisher: EventPublisher;
  registry: DatasetRegistry;
  stagingBucket: string;
  /** The shared staging step (`stageStream` of `@sluice/staging`), so both routes produce the same outputs. */
  stage: StageFunction;
  logger: Logger;
  config: LegacyWrapperConfig;
  /** Aborted when the task is asked to stop (SIGTERM from Fargate). */
  signal?: AbortSignal;
}

/** The format the legacy program's output is read in: CSV with a header line. */
export const LEGACY_OUTPUT_FORMAT: FormatSpec = { type: "csv", delimiter: ",", quote: '"', header: true };

/** The contract's fixed-width layout as the `{columns}` placeholder value: `name:start:length,…`. */
export function columnsSpecOf(contract: DatasetContract): string | undefined {
  if (contract.format.type !== "fixed-width") return undefined;
  return contract.format.columns.map((c) => `${c.field}:${c.start}:${c.length}`).join(",");
}

/**
 * The argv to run for `contract`, with placeholders substituted inside each element (no shell
 * ever sees them), or `undefined` when the object needs no program (its format is one the
 * pipeline reads itself, and no command is configured).
 */
export function legacyArgvFor(
  contract: DatasetContract,
  config: Pick<LegacyWrapperConfig, "command" | "programDir">,
  paths: { input: string; output: string },
): string[] | undefined {
  const template =
    config.command ?? (contract.format.type === "fixed-width" ? DEFAULT_LEGACY_COMMAND : undefined);
  if (template === undefined) return undefined;
  const columns = columnsSpecOf(contract);
  if (columns === undefined && template.some((part) => part.includes(COMMAND_PLACEHOLDERS.columns))) {
    throw new ContractError(
      `the legacy command uses ${COMMAND_PLACEHOLDERS.columns} but contract ${contract.name} is not fixed-width`,
      { dataset: contract.name },
    );
  }
  return template.map((part) =>
    part
      .replaceAll(COMMAND_PLACEHOLDERS.input, paths.input)
      .replaceAll(COMMAND_PLACEHOLDERS.output, paths.output)
      .replaceAll(COMMAND_PLACEHOLDERS.columns, columns ?? "")
      .replaceAll(COMMAND_PLACEHOLDERS.programDir, config.programDir),
  );
}

/** Passes bytes through, gunzipping them when the first two are the gzip magic (gzip by content). */
function gunzipIfGzip(): Transform {
  let decided: Transform | PassThrough | undefined;
  let head = Buffer.alloc(0);
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (decided) {
        decided.write(chunk) ? done() : decided.once("drain", done);
        return;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return done();
      decided = head[0] === 0x1f && head[1] === 0x8b ? createGunzip() : new PassThrough();
      decided.on("data", (data: Buffer) => out.push(data));
      decided.on("error", (error) => out.destroy(error));
      decided.write(head, () => done());
    },
    flush(done) {
      if (!decided) {
        if (head.length > 0) out.push(head);
        return done();
      }
      decided.once("end", () => done());
      decided.end();
    },
  });
  return out;
}

/** Reads the first line of a file (up to `limit` bytes), or `undefined` when the file is empty or missing. */
async function firstLineOf(path: string, limit = 64 * 1024): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    if (bytesRead === 0) return undefined;
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const end = text.indexOf("\n");
    return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, "");
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Column names of a CSV header line (quotes removed; names never contain commas). */
function headerNames(line: string): string[] {
  return line.split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1"));
}

/** The contract the legacy output is validated with: same fields, read by name from the CSV header. */
function contractForOutput(contract: DatasetContract): DatasetContract {
  return {
    ...contract,
    format: LEGACY_OUTPUT_FORMAT,
    fields: contract.fields.map(({ source: _source, ...field }) => field),
  };
}

function describeProgram(argv: readonly string[], result: LegacyProgramResult): string {
  const what = `legacy program ${argv[0]}`;
  switch (result.status) {
    case "exited":
      return `${what} exited with code ${result.exitCode} after ${result.durationMs} ms`;
    case "timed-out":
      return `${what} ran past its time limit and was stopped after ${result.durationMs} ms`;
    case "stopped":
      return `${what} was stopped because the task is stopping`;
    case "killed":
      return `${what} was killed by ${result.signal ?? "a signal"} after ${result.durationMs} ms`;
    case "not-started":
      return `${what} could not be started: ${result.startError}`;
  }
}

const PROGRAM_FAILURES: Record<
  Exclude<LegacyProgramResult["status"], "exited">,
  { reason: LegacyFailureReason; retryable: boolean }
> = {
  "not-started": { reason: "legacy-not-started", retryable: false },
  killed: { reason: "legacy-killed", retryable: false },
  "timed-out": { reason: "legacy-timeout", retryable: false },
  stopped: { reason: "stopped", retryable: true },
};

/** Resolves with `"stopped"` when `signal` aborts and `graceMs` pass; never rejects. */
function stoppedAfterGrace(signal: AbortSignal | undefined, graceMs: number): Promise<"stopped"> {
  return new Promise((resolve) => {
    if (!signal) return;
    const arm = () => setTimeout(() => resolve("stopped"), graceMs).unref();
    if (signal.aborted) arm();
    else signal.addEventListener("abort", arm, { once: true });
  });
}

/**
 * Runs one legacy job: downloads the received object to a private folder, runs the legacy
 * program over it with a time limit, and stages the program's CSV output through the shared
 * staging step (which publishes `sluice.object.staged` or `sluice.object.quarantined`).
 *
 * Staging starts only after the program succeeded and its output has a header naming every
 * contract field, and the manifest is written last, so a failure never leaves a run the loader
 * would pick up. Every failure publishes `sluice.object.failed` (exit code and stderr tail
 * included) and resolves; only a failure to publish rejects.
 */
export async function runLegacyJob(
  event: SluiceEvent<"sluice.object.received">,
  deps: LegacyJobDeps,
): Promise<LegacyJobOutcome> {
  const { data } = event;
  const where = formatObjectRef(data.object);
  const logger = deps.logger;
  logger.appendKeys({ runId: data.runId, dataset: data.dataset });

  const fail = async (
    reason: LegacyFailureReason,
    retryable: boolean,
    message: string,
    program?: LegacyProgramResult,
  ): Promise<LegacyJobOutcome> => {
    const failed: EventData<"sluice.object.failed"> = {
      runId: data.runId,
      object: data.object,
      dataset: data.dataset,
      phase: "legacy-wrapper",
      reason,
      message,
      retryable,
    };
    if (program?.exitCode !== undefined) failed.exitCode = program.exitCode;
    if (program && program.stderrTail !== "") failed.stderrTail = program.stderrTail;
    await deps.publisher.publish(createEvent("sluice.object.failed", LEGACY_WRAPPER_SOURCE, failed));
    logger.error("legacy job failed", { reason, retryable, message, exitCode: program?.exitCode });
    const outcome: LegacyJobOutcome = { status: "failed", reason, retryable, message };
    if (program) outcome.program = program;
    return outcome;
  };

  let contract: DatasetContract;
  try {
    contract = deps.registry.get(data.dataset);
  } catch (error) {
    return fail("no-contract", false, `${where}: ${(error as Error).message}`);
  }
  if (contract.version !== data.contractVersion) {
    logger.warn("contract version differs from the event's", {
      eventContractVersion: data.contractVersion,
      contractVersion: contract.version,
    });
  }

  const dir = await mkdtemp(join(deps.config.workDir, `sluice-${data.runId}-`));
  try {
    const input = join(dir, "input");
    const output = join(dir, "output.csv");

    let argv: string[] | undefined;
    try {
      argv = legacyArgvFor(contract, deps.config, { input, output });
    } catch (error) {
      return fail("no-layout", false, `${where}: ${(error as Error).message}`);
    }

    try {
      const options = data.object.versionId ? { versionId: data.object.versionId } : undefined;
      const body = await deps.store.get(data.object.bucket, data.object.key, options);
      await pipeline(body, gunzipIfGzip(), createWriteStream(input));
    } catch (error) {
      if (error instanceof QuarantineError) {
        return fail("object-unreadable", false, `${where}: ${error.message}`);
      }
      return fail("download-failed", true, `${where}: download failed: ${(error as Error).message}`);
    }
    if (deps.signal?.aborted)
      return fail("stopped", true, `${where}: the task was stopped before the program ran`);

    let body: Readable;
    let stageContract = contract;
    let format: FormatSpec | undefined;
    let program: LegacyProgramResult | undefined;
    if (argv === undefined) {
      logger.info("no legacy program for this format: staging the object as it is", {
        format: contract.format.type,
      });
      body = createReadStream(input);
    } else {
      logger.info("running legacy program", { argv });
      program = await runLegacyProgram(
        {
          argv,
          cwd: dir,
          timeoutMs: deps.config.timeoutMs,
          killGraceMs: deps.config.killGraceMs,
          stderrTailBytes: deps.config.stderrTailBytes,
          logLinesMax: deps.config.logLinesMax,
          ...(deps.signal ? { signal: deps.signal } : {}),
        },
        logger,
      );
      logger.info("legacy program ended", {
        status: program.status,
        exitCode: program.exitCode,
        signal: program.signal,
        durationMs: program.durationMs,
        stdoutBytes: program.stdoutBytes,
        stderrBytes: program.stderrBytes,
      });
      const message = `${where}: ${describeProgram(argv, program)}`;
      if (program.status !== "exited") {
        const { reason, retryable } = PROGRAM_FAILURES[program.status];
        return fail(reason, retryable, message, program);
      }
      if (program.exitCode !== 0) return fail("legacy-exit-nonzero", false, message, program);

      const header = await firstLineOf(output);
      const missing =
        header === undefined
          ? []
          : contract.fields.map((f) => f.name).filter((n) => !headerNames(header).includes(n));
      if (header === undefined || missing.length > 0) {
        const why =
          header === undefined
            ? "wrote no output"
            : `wrote output whose header lacks ${missing.join(", ")} (header: ${header.slice(0, 200)})`;
        return fail("unreadable-output", false, `${where}: legacy program ${argv[0]} ${why}`, program);
      }
      body = createReadStream(output);
      stageContract = contractForOutput(contract);
      format = LEGACY_OUTPUT_FORMAT;
    }

    const staging = deps.stage(
      { event, contract: stageContract, body, producer: "legacy-wrapper", ...(format ? { format } : {}) },
      { store: deps.store, stagingBucket: deps.stagingBucket, publisher: deps.publisher, logger },
    );
    try {
      // A stop during staging gets the grace to finish (staging is short and idempotent); past
      // it the run is failed as retryable. The manifest is written last, so an unfinished
      // staging is invisible to the loader.
      const result = await Promise.race([staging, stoppedAfterGrace(deps.signal, deps.config.killGraceMs)]);
      if (result === "stopped") {
        staging.catch(() => undefined);
        return fail("stopped", true, `${where}: the task was stopped while staging`, program);
      }
      return program ? { status: result.status, program } : { status: result.status };
    } catch (error) {
      const retryable = dispositionOf(error) === "retry";
      return fail(
        "staging-failed",
        retryable,
        `${where}: staging failed: ${(error as Error).message}`,
        program,
      );
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
