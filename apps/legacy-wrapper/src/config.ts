import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, intFromEnv } from "@sluice/core";

/**
 * Environment variables only the legacy wrapper reads (the shared ones are core's `ENV`).
 * The task definition sets them; every one has a default.
 */
export const LEGACY_ENV = {
  /** The legacy program as a JSON array of argv elements, e.g. `["perl","-CSD","/app/x.pl","{input}"]`. */
  command: "SLUICE_LEGACY_COMMAND",
  /** Milliseconds the legacy program may run before it is stopped and the run fails. */
  timeoutMs: "SLUICE_LEGACY_TIMEOUT_MS",
  /** Milliseconds between SIGTERM and SIGKILL when the program has to be stopped. */
  killGraceMs: "SLUICE_LEGACY_KILL_GRACE_MS",
  /** Bytes of the program's stderr kept in memory for the `object.failed` event. */
  stderrTailBytes: "SLUICE_LEGACY_STDERR_TAIL_BYTES",
  /** Lines of each of the program's output streams copied to the log before the rest is only counted. */
  logLinesMax: "SLUICE_LEGACY_LOG_LINES_MAX",
  /** Folder the program's input and output files are written to (a fresh folder per run inside it). */
  workDir: "SLUICE_LEGACY_WORK_DIR",
  /** Folder holding the shipped legacy programs (`fixed-width-to-csv.pl`). */
  programDir: "SLUICE_LEGACY_PROGRAM_DIR",
} as const;

/** Placeholders substituted inside argv elements of the legacy command (never through a shell). */
export const COMMAND_PLACEHOLDERS = {
  /** Path of the downloaded (and un-gzipped) object. */
  input: "{input}",
  /** Path the program must write its CSV (with a header line) to. */
  output: "{output}",
  /** Fixed-width layout of the contract as `field:start:length,…` (0-based start). */
  columns: "{columns}",
  /** Folder of the shipped legacy programs. */
  programDir: "{programDir}",
} as const;

/** The file name of the shipped sample legacy program. */
export const SAMPLE_PROGRAM = "fixed-width-to-csv.pl";

/**
 * The default legacy command: the shipped Perl program over a fixed-width object, driven by the
 * contract's column layout, writing CSV with a header to `{output}`. `-CSD` makes its streams
 * UTF-8, so it cuts columns by characters, as the pipeline's own fixed-width reader does. Perl
 * because perl-base is Essential in Debian: every Debian-based image and machine has it.
 */
export const DEFAULT_LEGACY_COMMAND: readonly string[] = [
  "perl",
  "-CSD",
  `${COMMAND_PLACEHOLDERS.programDir}/${SAMPLE_PROGRAM}`,
  `--columns=${COMMAND_PLACEHOLDERS.columns}`,
  `--output=${COMMAND_PLACEHOLDERS.output}`,
  COMMAND_PLACEHOLDERS.input,
];

/**
 * `LC_ALL` of every legacy program: its input and output are UTF-8, so a locale-aware program
 * (awk, sort, cut) counts characters, not bytes. glibc has C.UTF-8 built in (no locales package).
 * A program that needs another locale sets it in its command (`["env", "LC_ALL=…", …]`).
 */
export const LEGACY_PROGRAM_LOCALE = "C.UTF-8";

/** Tuning and wiring of one legacy-wrapper task. */
export interface LegacyWrapperConfig {
  /**
   * The legacy program's argv with placeholders. `undefined` means: the shipped Perl program for
   * fixed-width contracts, and no program at all (the object is staged as it is, as transform
   * would) for contracts in a format the pipeline reads itself.
   */
  command?: readonly string[];
  /** Time limit of the legacy program. */
  timeoutMs: number;
  /** Grace between SIGTERM and SIGKILL; below Fargate's stop timeout (30 s by default). */
  killGraceMs: number;
  /** How much of stderr's tail to keep for the failure event. */
  stderrTailBytes: number;
  /** How many lines per stream go to the log; the rest are counted. */
  logLinesMax: number;
  /** Parent folder of each run's working folder. */
  workDir: string;
  /** Folder of the shipped legacy programs. */
  programDir: string;
}

/** Defaults of {@link LegacyWrapperConfig} (command, programDir and workDir aside). */
export const DEFAULT_LEGACY_WRAPPER_CONFIG = {
  timeoutMs: 60 * 60 * 1000,
  killGraceMs: 10_000,
  stderrTailBytes: 8 * 1024,
  logLinesMax: 10_000,
} as const;

/**
 * Reads the wrapper's configuration from the environment. `defaultProgramDir` is where the
 * shipped programs sit beside the bundle. A bad value fails fast with a {@link ConfigError}.
 */
export function legacyWrapperConfigFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  defaultProgramDir: string = join(__dirname, "legacy"),
): LegacyWrapperConfig {
  const config: LegacyWrapperConfig = {
    timeoutMs: intFromEnv(LEGACY_ENV.timeoutMs, DEFAULT_LEGACY_WRAPPER_CONFIG.timeoutMs, env),
    killGraceMs: intFromEnv(LEGACY_ENV.killGraceMs, DEFAULT_LEGACY_WRAPPER_CONFIG.killGraceMs, env),
    stderrTailBytes: intFromEnv(
      LEGACY_ENV.stderrTailBytes,
      DEFAULT_LEGACY_WRAPPER_CONFIG.stderrTailBytes,
      env,
    ),
    logLinesMax: intFromEnv(LEGACY_ENV.logLinesMax, DEFAULT_LEGACY_WRAPPER_CONFIG.logLinesMax, env),
    workDir: env[LEGACY_ENV.workDir] || tmpdir(),
    programDir: env[LEGACY_ENV.programDir] || defaultProgramDir,
  };
  const command = env[LEGACY_ENV.command];
  if (command !== undefined && command !== "") config.command = parseCommand(command);
  return config;
}

/** Parses a JSON array of non-empty strings as an argv, or throws a {@link ConfigError}. */
export function parseCommand(text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigError(`${LEGACY_ENV.command} is not JSON: expected an array of argv strings`, {
      name: LEGACY_ENV.command,
    });
  }
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((part) => typeof part === "string" && part !== "")
  ) {
    throw new ConfigError(`${LEGACY_ENV.command} must be a non-empty JSON array of non-empty strings`, {
      name: LEGACY_ENV.command,
    });
  }
  return value as string[];
}
