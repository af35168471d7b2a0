import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { createInterface } from "node:readline";
import { parseEvent, type SluiceEvent } from "@sluice/core";
import type { SnsNotification } from "../bus/local-topic";
import { appendFileDurable, type Durability, isFsError } from "../files";

/** One line of the journal: an event as it was published. */
export interface JournalEntry {
  /** When the bus published it (SNS `Timestamp`). */
  publishedAt: string;
  /** SNS message id of the publication (a republished event gets a new one). */
  messageId: string;
  event: SluiceEvent;
}

/**
 * The local events archive: an append-only NDJSON file of every event published on the topic,
 * subscribed like any other consumer. `sluice status` reads it (in AWS, the same role is played
 * by the events archive the topic feeds). A torn last line (the process killed mid-append) is
 * skipped when reading.
 */
export class EventJournal {
  readonly file: string;
  readonly #durability: Durability;
  #tail: Promise<void> = Promise.resolve();
  #endChecked = false;

  /** With `fsync`, an append resolves only once the line is on disk. */
  constructor(file: string, options: { fsync?: boolean } = {}) {
    this.file = file;
    this.#durability = { fsync: options.fsync ?? false };
  }

  /** Appends one entry; appends are serialised so lines never interleave. */
  append(entry: JournalEntry): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.#tail.then(async () => {
      // After a crash mid-append, start on a fresh line so the torn one does not swallow this entry.
      const prefix = this.#endChecked || (await endsWithNewline(this.file)) ? "" : "\n";
      this.#endChecked = true;
      await appendFileDurable(this.file, prefix + line, this.#durability);
    });
    this.#tail = write.catch(() => undefined);
    return write;
  }

  /** A topic sink that journals every notification carrying a Sluice event. */
  sink(): (notification: SnsNotification) => Promise<void> {
    return async (notification) => {
      await this.append({
        publishedAt: notification.Timestamp,
        messageId: notification.MessageId,
        event: parseEvent(notification.Message),
      });
    };
  }

  /** Every entry, oldest first. */
  async *entries(): AsyncIterable<JournalEntry> {
    let stream: ReturnType<typeof createReadStream>;
    try {
      stream = createReadStream(this.file, { encoding: "utf8" });
      await new Promise<void>((resolve, reject) => {
        stream.once("open", () => resolve());
        stream.once("error", reject);
      });
    } catch (error) {
      if (isFsError(error, "ENOENT")) return;
      throw error;
    }
    for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
      if (line.trim() === "") continue;
      try {
        yield JSON.parse(line) as JournalEntry;
      } catch {
        // A line torn by a crash mid-append: the event it held was never acknowledged.
      }
    }
  }

  /** Every entry, as an array. */
  async readAll(): Promise<JournalEntry[]> {
    const all: JournalEntry[] = [];
    for await (const entry of this.entries()) all.push(entry);
    return all;
  }
}

async function endsWithNewline(file: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if (isFsError(error, "ENOENT")) return true;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return last[0] === 10;
  } finally {
    await handle.close();
  }
}
