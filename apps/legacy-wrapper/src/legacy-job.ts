import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import {
  contractFingerprint,
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
import { publishQuarantine, QUARANTINE_REASONS } from "@sluice/staging";
import { LEGACY_PROGRAM_LOCALE, type LegacyWrapperConfig } from "./config";
import { legacyArgvFor } from "./legacy-command";
import { type LegacyProgramResult, runLegacyProgram } from "./legacy-program";
import {
  contractForOutput,
  downloadInput,
  firstInvalidUtf8,
  LEGACY_OUTPUT_FORMAT,
  readOutputHeader,
} from "./program-files";
import type { StageFunction } from "./staging";

/** What the download's gunzip finds wrong with the content: the object is quarantined as staging would. */
const CONTENT_PROBLEMS = new Set<string>([
  QUARANTINE_REASONS.decompressionLimit,
  QUARANTINE_REASONS.wrongFormat,
  QUARANTINE_REASONS.corruptGzip,
]);
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
  | "load-failed"
  | "stopped";

/**
 * How one legacy job ended. Every outcome has been published as an event. `staged` carries its
 * `sluice.object.staged`; `loaded` is a staged run the task then loaded itself (`task-load.ts`).
 */
export type LegacyJobOutcome =
  | { status: "staged"; staged: SluiceEvent<"sluice.object.staged">; program?: LegacyProgramResult }
  | { status: "quarantined" | "loaded"; program?: LegacyProgramResult }
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
  /** Told the legacy program's process group (see `LegacyProgramRun.trackGroup`); locally, the runtime's. */
  trackProgramGroup?: (pgid: number) => () => void;
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
export function stoppedAfterGrace(signal: AbortSignal | undefined, graceMs: number): Promise<"stopped"> {
  return new Promise((resolve) => {
    if (!signal) return;
    const arm = () => setTimeout(() => resolve("stopped"), graceMs).unref();
    if (signal.aborted) arm();
    else signal.addEventListener("abort", arm, { once: true });
  });
}

/** Why a legacy job failed, for {@link failLegacyJob}. */
export interface LegacyFailure {
  reason: LegacyFailureReason;
  retryable: boolean;
  message: string;
  /** The legacy program's result, when it ran: its exit code and stderr tail go in the event. */
  program?: LegacyProgramResult | undefined;
}

/**
 * Publishes the `sluice.object.failed` (`phase: legacy-wrapper`) of the job for `run` and
 * returns its outcome. Rejects only when the event cannot be published.
 */
export async function failLegacyJob(
  run: Pick<EventData<"sluice.object.received">, "runId" | "object" | "dataset">,
  { reason, retryable, message, program }: LegacyFailure,
  deps: Pick<LegacyJobDeps, "publisher" | "logger">,
): Promise<LegacyJobOutcome> {
  const failed: EventData<"sluice.object.failed"> = {
    runId: run.runId,
    object: run.object,
    dataset: run.dataset,
    phase: "legacy-wrapper",
    reason,
    message,
    retryable,
  };
  if (program?.exitCode !== undefined) failed.exitCode = program.exitCode;
  if (program && program.stderrTail !== "") failed.stderrTail = program.stderrTail;
  await deps.publisher.publish(createEvent("sluice.object.failed", LEGACY_WRAPPER_SOURCE, failed));
  deps.logger.error("legacy job failed", { reason, retryable, message, exitCode: program?.exitCode });
  const outcome: LegacyJobOutcome = { status: "failed", reason, retryable, message };
  if (program) outcome.program = program;
  return outcome;
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

  const fail = (
    reason: LegacyFailureReason,
    retryable: boolean,
    message: string,
    program?: LegacyProgramResult,
  ): Promise<LegacyJobOutcome> => failLegacyJob(data, { reason, retryable, message, program }, deps);
  /** Quarantines the object for what its content is, before any program ran. */
  const quarantine = async (reason: string, message: string): Promise<LegacyJobOutcome> => {
    logger.warn("object quarantined", { reason, message });
    await publishQuarantine(event, "legacy-wrapper", deps, { reason, message, firstRejections: [] });
    return { status: "quarantined" };
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
      await downloadInput(deps.store, data.object, input, contract.format);
    } catch (error) {
      if (error instanceof QuarantineError && CONTENT_PROBLEMS.has(error.code))
        return quarantine(error.code, `${where}: ${error.message}`);
      if (error instanceof QuarantineError) {
        return fail("object-unreadable", false, `${where}: ${error.message}`);
      }
      return fail("download-failed", true, `${where}: download failed: ${(error as Error).message}`);
    }
    if (deps.signal?.aborted)
      return fail("stopped", true, `${where}: the task was stopped before the program ran`);

    // The program's output is what staging checks; a bad byte must be named in the input instead.
    const invalid = argv && contract.format.type !== "parquet" ? await firstInvalidUtf8(input) : undefined;
    if (invalid)
      return quarantine(
        QUARANTINE_REASONS.notUtf8,
        `${where}: content is not valid UTF-8 on line ${invalid.line} (byte ${invalid.byteOfLine} of the ` +
          `line; byte offset ${invalid.byteOffset} of the decompressed content)`,
      );

    let body: Readable;
    let stageContract = contract;
    let format: FormatSpec | undefined;
    let lineColumn: string | undefined;
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
          // Its input and output are UTF-8: a locale-aware program must count characters.
          env: { ...process.env, LC_ALL: LEGACY_PROGRAM_LOCALE },
          timeoutMs: deps.config.timeoutMs,
          killGraceMs: deps.config.killGraceMs,
          stderrTailBytes: deps.config.stderrTailBytes,
          logLinesMax: deps.config.logLinesMax,
          ...(deps.signal ? { signal: deps.signal } : {}),
          ...(deps.trackProgramGroup ? { trackGroup: deps.trackProgramGroup } : {}),
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

      const header = await readOutputHeader(output, contract);
      if (header.problem !== undefined) {
        return fail(
          "unreadable-output",
          false,
          `${where}: legacy program ${argv[0]} ${header.problem}`,
          program,
        );
      }
      lineColumn = header.lineColumn;
      body = createReadStream(output);
      stageContract = contractForOutput(contract);
      format = LEGACY_OUTPUT_FORMAT;
    }

    // The manifest names the deployed contract, not the one the program's output is read with.
    const stageParams = {
      event,
      contract: stageContract,
      contractHash: contractFingerprint(contract),
      body,
      producer: "legacy-wrapper" as const,
      ...(format ? { format } : {}),
      ...(lineColumn ? { lineColumn } : {}),
    };
    const staging = deps.stage(stageParams, {
      store: deps.store,
      stagingBucket: deps.stagingBucket,
      publisher: deps.publisher,
      logger,
    });
    try {
      // A stop during staging gets the grace to finish (staging is short and idempotent); past
      // it the run is failed as retryable. The manifest is written last, so an unfinished
      // staging is invisible to the loader.
      const result = await Promise.race([staging, stoppedAfterGrace(deps.signal, deps.config.killGraceMs)]);
      if (result === "stopped") {
        staging.catch(() => undefined);
        return fail("stopped", true, `${where}: the task was stopped while staging`, program);
      }
      const outcome: LegacyJobOutcome =
        result.status === "staged" ? { status: "staged", staged: result.event } : { status: "quarantined" };
      if (program) outcome.program = program;
      return outcome;
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
