import { EventEmitter } from "node:events";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import type { Clock } from "../clock";
import { type Durability, isFsError, makeDir, writeFileAtomic } from "../files";

/** An SQS message attribute. */
export interface SqsMessageAttribute {
  dataType: "String" | "Number" | "Binary";
  stringValue: string;
}

/** A message as stored on disk: one JSON file per message. */
export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  messageAttributes: Record<string, SqsMessageAttribute>;
  /** Epoch ms when first sent (kept across dead-lettering and redrive, as SQS does). */
  sentTimestamp: number;
  /** Orders messages of the queue (best effort, like a standard queue). */
  sequence: number;
  /** Times received; a receive past `maxReceiveCount` dead-letters the message instead. */
  receiveCount: number;
  firstReceiveTimestamp?: number;
  /** Epoch ms from which the message can be received (again). */
  visibleAt: number;
  /** The handle of the latest receive; only it deletes the message. */
  receiptHandle?: string;
  /** The queue a dead-lettered message came from (where redrive sends it back). */
  deadLetterSourceQueue?: string;
}

/**
 * The messages of one queue: a directory with one JSON file per message, and this process's
 * index of it. Every change writes a temporary file and renames it over the old one, so a crash
 * leaves each message in its old or its new state. The directory is the source of truth:
 * {@link sync} picks up files other processes added (a task publishing, a CLI redrive) and
 * forgets files they removed.
 */
export class MessageStore {
  readonly #messagesDir: string;
  readonly #tmpDir: string;
  readonly #durability: Durability;
  readonly #index = new Map<string, StoredMessage>();
  readonly #arrivals = new EventEmitter();
  /** Ids this process is removing: a concurrent directory scan must not bring them back. */
  readonly #removing = new Set<string>();
  /**
   * Ids this process is adding: a directory scan that runs once the file is renamed into place
   * and before {@link add} indexes it must not index (and hand out) a copy of its own, which
   * {@link add} would then replace with a fresh, visible one: delivered twice.
   */
  readonly #adding = new Set<string>();
  #seenMtime = -1n;
  #syncing: Promise<void> | undefined;
  #lastSequence = 0;

  /** `tmpDir` must be on the same file system as `messagesDir` (renames commit writes). */
  constructor(messagesDir: string, tmpDir: string, durability: Durability = {}) {
    this.#messagesDir = messagesDir;
    this.#tmpDir = tmpDir;
    this.#durability = durability;
    this.#arrivals.setMaxListeners(0);
  }

  /** Creates the directory when missing and reads what is in it. */
  async open(): Promise<void> {
    await makeDir(this.#messagesDir, this.#durability);
    await this.sync();
  }

  /** The indexed messages, oldest first. These are the live records: change them, then {@link save}. */
  ordered(): StoredMessage[] {
    return [...this.#index.values()].sort((a, b) => a.sequence - b.sequence);
  }

  /** The indexed message `messageId`. */
  get(messageId: string): StoredMessage | undefined {
    return this.#index.get(messageId);
  }

  /** Adds a message, ordered after every message before it; resolves once it is on disk. */
  async add(message: Omit<StoredMessage, "sequence">, now: number): Promise<void> {
    this.#lastSequence = Math.max(this.#lastSequence + 1, now * 1000);
    const added: StoredMessage = { ...message, sequence: this.#lastSequence };
    this.#adding.add(added.messageId);
    try {
      await this.#write(added);
      this.#index.set(added.messageId, added);
    } finally {
      this.#adding.delete(added.messageId);
    }
    this.#arrivals.emit("message");
  }

  /** Writes the changes made to an indexed message. */
  async save(message: StoredMessage): Promise<void> {
    await this.#write(message);
  }

  /** Drops a message from the index at once (its file stays until {@link remove}). */
  forget(messageId: string): void {
    this.#index.delete(messageId);
  }

  /** Removes a message and its file. */
  async remove(messageId: string): Promise<void> {
    this.#removing.add(messageId);
    this.#index.delete(messageId);
    try {
      // One `unlink` (`rm` with `force` looks the path up first).
      await unlink(this.#pathOf(messageId)).catch((error: unknown) => {
        if (!isFsError(error, "ENOENT")) throw error;
      });
    } finally {
      this.#removing.delete(messageId);
    }
  }

  /** Wakes every {@link waitForArrival} (a message became visible without being added). */
  announce(): void {
    this.#arrivals.emit("message");
  }

  /** Resolves when a message is added or announced, after `timeoutMs` of `clock`, or when `signal` aborts. */
  async waitForArrival(clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    const woken = new AbortController();
    const wake = () => woken.abort();
    this.#arrivals.once("message", wake);
    signal?.addEventListener("abort", wake, { once: true });
    if (signal?.aborted) wake();
    try {
      await clock.sleep(timeoutMs, woken.signal);
    } finally {
      this.#arrivals.off("message", wake);
      signal?.removeEventListener("abort", wake);
    }
  }

  /** Picks up files added or removed by other processes since the last look (one scan at a time). */
  async sync(): Promise<void> {
    while (this.#syncing) await this.#syncing;
    this.#syncing = this.#scan();
    try {
      await this.#syncing;
    } finally {
      this.#syncing = undefined;
    }
  }

  /**
   * Synchronous calls: a scan runs before every receive and count, and a `stat` of the directory
   * (usually all it does) costs a third of the CPU synchronously that it costs through the thread
   * pool; message files are small and in the page cache.
   */
  async #scan(): Promise<void> {
    const { mtimeNs } = statSync(this.#messagesDir, { bigint: true });
    if (mtimeNs === this.#seenMtime) return;
    this.#seenMtime = mtimeNs;
    const names = new Set(
      readdirSync(this.#messagesDir)
        .filter((n) => n.endsWith(".json"))
        .map((n) => n.slice(0, -5)),
    );
    for (const id of this.#index.keys()) if (!names.has(id)) this.#index.delete(id);
    let arrived = false;
    for (const id of names) {
      if (this.#index.has(id) || this.#removing.has(id) || this.#adding.has(id)) continue;
      try {
        const message = JSON.parse(readFileSync(this.#pathOf(id), "utf8")) as StoredMessage;
        if (this.#index.has(id) || this.#removing.has(id) || this.#adding.has(id)) continue;
        this.#index.set(id, message);
        this.#lastSequence = Math.max(this.#lastSequence, message.sequence);
        arrived = true;
      } catch (error) {
        // Removed between listing and reading: another process took it.
        if (!isFsError(error, "ENOENT")) throw error;
      }
    }
    if (arrived) this.#arrivals.emit("message");
  }

  #pathOf(messageId: string): string {
    return join(this.#messagesDir, `${messageId}.json`);
  }

  async #write(message: StoredMessage): Promise<void> {
    await writeFileAtomic(
      this.#pathOf(message.messageId),
      JSON.stringify(message),
      this.#tmpDir,
      this.#durability,
    );
  }
}
