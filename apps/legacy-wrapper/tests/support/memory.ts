import { createLogger, type Logger } from "@sluice/core";

/** A logger that writes nothing (tests spy on it when they need to). */
export function silentLogger(): Logger {
  return createLogger("legacy-wrapper", { level: "SILENT" });
}
