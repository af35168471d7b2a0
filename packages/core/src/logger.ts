import { Logger } from "@aws-lambda-powertools/logger";

/** The phases (and tools) that log. */
export type Phase =
  | "listener"
  | "transform"
  | "loader"
  | "launcher"
  | "legacy-wrapper"
  | "local-runtime"
  | "cli";

/**
 * A structured JSON logger for one phase (Powertools Logger). Add `runId` and `dataset` per
 * object with `logger.appendKeys({ runId, dataset })` so every line carries them; the level
 * comes from `POWERTOOLS_LOG_LEVEL` / `LOG_LEVEL` (default INFO).
 */
export function createLogger(phase: Phase, options: { level?: string } = {}): Logger {
  return new Logger({
    serviceName: "sluice",
    persistentKeys: { phase },
    ...(options.level ? { logLevel: options.level as "INFO" } : {}),
  });
}

export type { Logger } from "@aws-lambda-powertools/logger";
