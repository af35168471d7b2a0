import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

/** Where the runtime writes container tasks' output and its own notes about them. */
export interface TaskLog {
  write(line: string): void;
  /** Flushes and closes the log file, if one was opened. */
  close(): Promise<void>;
}

/**
 * `onLine` when given (`-v` prints task output on stderr), else `<stateDir>/logs/tasks.log`,
 * opened (for appending) on the first line.
 */
export async function openTaskLog(stateDir: string, onLine?: (line: string) => void): Promise<TaskLog> {
  const file = join(stateDir, "logs", "tasks.log");
  await mkdir(join(stateDir, "logs"), { recursive: true });
  if (onLine) return { write: onLine, close: async () => undefined };
  let stream: WriteStream | undefined;
  return {
    write(line) {
      stream ??= createWriteStream(file, { flags: "a" });
      stream.write(`${line}\n`);
    },
    async close() {
      const closing = stream;
      stream = undefined;
      if (closing) await new Promise<void>((done) => closing.end(done));
    },
  };
}
