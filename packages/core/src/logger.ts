import { Logger, type LogItem } from "@aws-lambda-powertools/logger";
import type { ConstructorOptions } from "@aws-lambda-powertools/logger/types";

/** The phases (and tools) that log. */
export type Phase =
  | "listener"
  | "transform"
  | "loader"
  | "launcher"
  | "legacy-wrapper"
  | "local-runtime"
  | "cli";

/** What {@link createLogger} and {@link createMemoryLogger} accept besides the phase. */
export interface LoggerOptions {
  /** `DEBUG`, `INFO`, `WARN`, `ERROR`, `CRITICAL` or `SILENT`; overrides the environment. */
  level?: string;
  /**
   * Print every line on stderr. Powertools prints DEBUG and INFO on stdout, as Lambda wants; a
   * process whose stdout is its result (the `sluice` CLI's `--json`) takes this.
   */
  stderr?: boolean;
}

function loggerOptions(phase: Phase, level: string | undefined): ConstructorOptions {
  return {
    serviceName: "sluice",
    persistentKeys: { phase },
    ...(level ? { logLevel: level as "INFO" } : {}),
  };
}

/**
 * A structured JSON logger for one phase (Powertools Logger): the one logger type every phase
 * takes. Add `runId` and `dataset` per object with `logger.appendKeys({ runId, dataset })` so
 * every line carries them; the level comes from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL` (default
 * INFO). Tests that want silence pass `{ level: "SILENT" }`.
 */
export function createLogger(phase: Phase, options: LoggerOptions = {}): Logger {
  const settings = loggerOptions(phase, options.level);
  return options.stderr ? new StderrLogger(settings) : new Logger(settings);
}

/** A Powertools Logger printing every line, whatever its level, on stderr; its children too. */
class StderrLogger extends Logger {
  protected override createLogger(options?: ConstructorOptions): StderrLogger {
    return new StderrLogger(options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    process.stderr.write(`${printedLine(log, this.getJsonReplacer())}\n`);
  }
}

/** The JSON line Powertools prints for `log` (errors formatted, bigints as strings), unindented. */
function printedLine(log: LogItem, replacer: (key: string, value: unknown) => void): string {
  log.prepareForPrint();
  return JSON.stringify(log.getAttributes(), replacer);
}

/** One line a {@link MemoryLogger} kept: the JSON object the Powertools Logger would have printed. */
export interface LogLine {
  /** `DEBUG`, `INFO`, `WARN`, `ERROR` or `CRITICAL`. */
  level: string;
  message: string;
  /** Persistent keys (`phase`, a record's `messageId`), appended keys and the line's own fields. */
  [key: string]: unknown;
}

/**
 * A Powertools Logger that keeps its lines in memory instead of printing them, so a test can
 * assert what a phase logged (fields included). Its children (`createChild`, which the SQS batch
 * handler makes for every record) keep theirs in the same {@link MemoryLogger.lines}.
 */
export class MemoryLogger extends Logger {
  /** Every line logged by this logger and its children, in order. */
  readonly lines: LogLine[];

  /** Prefer {@link createMemoryLogger}; `lines` is shared with the logger this one is a child of. */
  constructor(options: ConstructorOptions = {}, lines: LogLine[] = []) {
    super(options);
    this.lines = lines;
  }

  protected override createLogger(options?: ConstructorOptions): MemoryLogger {
    return new MemoryLogger(options, this.lines);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    // Exactly what would be printed. The base constructor can print (option warnings) before
    // `lines` is set; there are none with the options above.
    this.lines?.push(JSON.parse(printedLine(log, this.getJsonReplacer())) as LogLine);
  }
}

/** A {@link MemoryLogger} for one phase, keeping every line from DEBUG up unless `level` says otherwise. */
export function createMemoryLogger(phase: Phase, options: LoggerOptions = {}): MemoryLogger {
  return new MemoryLogger(loggerOptions(phase, options.level ?? "DEBUG"));
}

export type { Logger } from "@aws-lambda-powertools/logger";
