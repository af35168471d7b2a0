import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "@sluice/core";
import { type Durability, isFsError, writeFileAtomic } from "../files";

/** Redrive and visibility settings of a queue (SQS attributes `VisibilityTimeout`, `RedrivePolicy`). */
export interface QueueSettings {
  /** How long a received message stays hidden before it is delivered again, unless deleted. */
  visibilityTimeoutMs: number;
  /** Receives after which the next receive moves the message to the dead-letter queue instead. */
  maxReceiveCount: number;
}

/** Defaults of {@link QueueSettings}: SQS's 30 s visibility, and 5 receives before the DLQ. */
export const DEFAULT_QUEUE_SETTINGS: Readonly<QueueSettings> = {
  visibilityTimeoutMs: 30_000,
  maxReceiveCount: 5,
};

/** The configuration file of a queue directory (`<queue>/queue.json`), so another process can open the same queue. */
export interface QueueFile {
  name: string;
  settings: QueueSettings;
  /** Name of the dead-letter queue, when the queue has a redrive policy. */
  deadLetterQueue?: string;
}

/** `settings` over the defaults, or a {@link ConfigError} naming what SQS would refuse. */
export function resolveQueueSettings(name: string, settings: Partial<QueueSettings> = {}): QueueSettings {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
    throw new ConfigError(`queue name ${JSON.stringify(name)} is not a valid SQS queue name`, { name });
  }
  const resolved = { ...DEFAULT_QUEUE_SETTINGS, ...settings };
  if (!Number.isInteger(resolved.maxReceiveCount) || resolved.maxReceiveCount < 1) {
    throw new ConfigError(`queue ${name}: maxReceiveCount must be a positive integer`, { name });
  }
  if (!(resolved.visibilityTimeoutMs >= 0)) {
    throw new ConfigError(`queue ${name}: visibilityTimeoutMs must not be negative`, { name });
  }
  return resolved;
}

/** Records a queue's settings in its directory. */
export async function writeQueueFile(
  queueDir: string,
  file: QueueFile,
  tmpDir: string,
  durability: Durability = {},
): Promise<void> {
  await writeFileAtomic(join(queueDir, "queue.json"), JSON.stringify(file, null, 2), tmpDir, durability);
}

/** The queue files recorded under `queuesDir`, by queue name (none when the directory is missing). */
export async function readQueueFiles(queuesDir: string): Promise<Map<string, QueueFile>> {
  let names: string[];
  try {
    names = (await readdir(queuesDir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith("."))
      .map((entry) => entry.name);
  } catch (error) {
    if (isFsError(error, "ENOENT")) return new Map();
    throw error;
  }
  const files = new Map<string, QueueFile>();
  for (const name of names) {
    try {
      files.set(name, JSON.parse(await readFile(join(queuesDir, name, "queue.json"), "utf8")) as QueueFile);
    } catch (error) {
      if (!isFsError(error, "ENOENT")) throw error;
    }
  }
  return files;
}
