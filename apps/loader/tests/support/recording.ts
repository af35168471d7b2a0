import type { LoaderLogger } from "../../src";

/** One recorded log line. */
export interface LogLine {
  level: "info" | "warn" | "error";
  message: string;
  extra?: Record<string, unknown>;
}

/** A {@link LoaderLogger} test double that keeps every line. */
export class RecordingLogger implements LoaderLogger {
  readonly lines: LogLine[] = [];
  info(message: unknown, ...extra: unknown[]): void {
    this.#record("info", message, extra);
  }
  warn(message: unknown, ...extra: unknown[]): void {
    this.#record("warn", message, extra);
  }
  error(message: unknown, ...extra: unknown[]): void {
    this.#record("error", message, extra);
  }
  #record(level: LogLine["level"], message: unknown, extra: unknown[]): void {
    this.lines.push({
      level,
      message: String(message),
      extra: extra[0] as Record<string, unknown> | undefined,
    });
  }
  messages(): string[] {
    return this.lines.map((line) => line.message);
  }
}
