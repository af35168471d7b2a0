import { createHash, randomBytes, randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { mkdir, readdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { ConfigError } from "@sluice/core";
import { isFsError, writeFileAtomic } from "../files";

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

/** A message handed to a consumer, shaped like SQS `ReceiveMessage` output. */
export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  md5OfBody: string;
  attributes: {
    ApproximateReceiveCount: string;
    SentTimestamp: string;
    ApproximateFirstReceiveTimestamp: string;
    SenderId: string;
  };
  messageAttributes: Record<string, SqsMessageAttribute>;
}

/** The configuration file of a queue directory, so another process can open the same queue. */
interface QueueFile {
  name: string;
  settings: QueueSettings;
  /** Name of the dead-letter queue, when the queue has a redrive policy. */
  deadLetterQueue?: string;
}

/** Message counts, like SQS's `ApproximateNumberOfMessages*` attributes. */
export interface QueueCounts {
  visible: number;
  inFlight: number;
}

const SENDER_ID = "LOCAL";

/**
 * A durable queue with SQS standard-queue semantics: at-least-once delivery, a visibility
 * timeout, receive counts, a redrive policy to a dead-letter queue, receipt handles.
 *
 * On disk: `<queuesDir>/<name>/queue.json` (settings) and `<queuesDir>/<name>/messages/<id>.json`,
 * one file per message holding its body, receive count, visibility deadline and current receipt
 * handle. Every change writes a temporary file and renames it over the old one, so a crash at
 * any moment leaves each message either in its old or its new state. A message being processed
 * when the process dies is still on disk with its receive count; it comes back when its
 * visibility deadline passes, or at once after {@link releaseInFlight} on restart.
 *
 * The directory is the source of truth: before each receive the queue picks up files other
 * processes added (a task publishing, a CLI redrive) and forgets files they removed.
 */
export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly settings: Readonly<QueueSettings>;
  readonly deadLetterQueue: LocalQueue | undefined;
  readonly #dir: string;
  readonly #messagesDir: string;
  readonly #tmpDir: string;
  readonly #index = new Map<string, StoredMessage>();
  readonly #arrivals = new EventEmitter();
  /** Ids this process is removing: a concurrent directory scan must not bring them back. */
  readonly #removing = new Set<string>();
  #seenMtime = -1n;
  #syncing: Promise<void> | undefined;
  #lastSequence = 0;

  private constructor(
    queuesDir: string,
    name: string,
    settings: QueueSettings,
    deadLetterQueue: LocalQueue | undefined,
    arnPrefix: string,
  ) {
    this.name = name;
    this.arn = `${arnPrefix}:${name}`;
    this.settings = settings;
    this.deadLetterQueue = deadLetterQueue;
    this.#dir = join(queuesDir, name);
    this.#messagesDir = join(this.#dir, "messages");
    this.#tmpDir = join(queuesDir, ".tmp");
    this.#arrivals.setMaxListeners(0);
  }

  /**
   * Opens (creating when missing) the queue `name` under `queuesDir` and records its settings.
   * `arnPrefix` is `arn:aws:sqs:<region>:<account>`.
   */
  static async open(
    queuesDir: string,
    name: string,
    options: { settings?: Partial<QueueSettings>; deadLetterQueue?: LocalQueue; arnPrefix?: string } = {},
  ): Promise<LocalQueue> {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name)) {
      throw new ConfigError(`queue name ${JSON.stringify(name)} is not a valid SQS queue name`, { name });
    }
    const settings = { ...DEFAULT_QUEUE_SETTINGS, ...options.settings };
    if (!Number.isInteger(settings.maxReceiveCount) || settings.maxReceiveCount < 1) {
      throw new ConfigError(`queue ${name}: maxReceiveCount must be a positive integer`, { name });
    }
    if (!(settings.visibilityTimeoutMs >= 0)) {
      throw new ConfigError(`queue ${name}: visibilityTimeoutMs must not be negative`, { name });
    }
    const queue = new LocalQueue(
      queuesDir,
      name,
      settings,
      options.deadLetterQueue,
      options.arnPrefix ?? "arn:aws:sqs:us-east-1:000000000000",
    );
    await mkdir(queue.#messagesDir, { recursive: true });
    const file: QueueFile = { name, settings };
    if (options.deadLetterQueue) file.deadLetterQueue = options.deadLetterQueue.name;
    await writeFileAtomic(join(queue.#dir, "queue.json"), JSON.stringify(file, null, 2), queue.#tmpDir);
    await queue.#sync();
    return queue;
  }

  /**
   * Opens every queue recorded under `queuesDir` with the settings it was created with
   * (dead-letter queues first, so sources can point at them). For tools that inspect state.
   */
  static async openAll(queuesDir: string, arnPrefix?: string): Promise<Map<string, LocalQueue>> {
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
    const opened = new Map<string, LocalQueue>();
    const openOne = async (name: string): Promise<LocalQueue | undefined> => {
      const existing = opened.get(name);
      if (existing) return existing;
      const file = files.get(name);
      if (!file) return undefined;
      const deadLetterQueue = file.deadLetterQueue ? await openOne(file.deadLetterQueue) : undefined;
      const options: Parameters<typeof LocalQueue.open>[2] = { settings: file.settings };
      if (deadLetterQueue) options.deadLetterQueue = deadLetterQueue;
      if (arnPrefix) options.arnPrefix = arnPrefix;
      const queue = await LocalQueue.open(queuesDir, name, options);
      opened.set(name, queue);
      return queue;
    };
    for (const name of [...files.keys()].sort()) await openOne(name);
    return opened;
  }

  /** Sends a message; resolves once it is on disk. Returns its message id. */
  async send(body: string, messageAttributes: Record<string, SqsMessageAttribute> = {}): Promise<string> {
    const now = Date.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body,
      md5OfBody: createHash("md5").update(body).digest("hex"),
      messageAttributes,
      sentTimestamp: now,
      sequence: this.#nextSequence(now),
      receiveCount: 0,
      visibleAt: now,
    };
    await this.#write(message);
    this.#index.set(message.messageId, message);
    this.#arrivals.emit("message");
    return message.messageId;
  }

  /**
   * Receives up to `max` visible messages, oldest first, hiding each for the visibility
   * timeout. A message already received `maxReceiveCount` times moves to the dead-letter queue
   * instead (or, without one, stays available, as SQS does without a redrive policy).
   */
  async receive(max: number): Promise<ReceivedMessage[]> {
    await this.#sync();
    const now = Date.now();
    const candidates = [...this.#index.values()]
      .filter((message) => message.visibleAt <= now)
      .sort((a, b) => a.sequence - b.sequence);
    const taken: StoredMessage[] = [];
    const deadLettered: StoredMessage[] = [];
    // Select and hide synchronously, so concurrent receives never hand out the same message.
    for (const message of candidates) {
      if (taken.length >= max) break;
      if (this.deadLetterQueue && message.receiveCount >= this.settings.maxReceiveCount) {
        this.#index.delete(message.messageId);
        deadLettered.push(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + this.settings.visibilityTimeoutMs;
      message.receiptHandle = `${message.messageId}:${message.receiveCount}:${randomBytes(12).toString("hex")}`;
      taken.push(message);
    }
    for (const message of deadLettered) await this.#moveTo(message, this.deadLetterQueue!, this.name);
    await Promise.all(taken.map((message) => this.#write(message)));
    return taken.map(toReceived);
  }

  /**
   * Deletes a received message. Only the latest receipt handle deletes: a consumer whose
   * visibility timeout ran out (and whose message went to another consumer) deletes nothing.
   * Returns whether a message was deleted.
   */
  async delete(receiptHandle: string): Promise<boolean> {
    const message = this.#byReceipt(receiptHandle);
    if (!message) return false;
    await this.#remove(message.messageId);
    return true;
  }

  /** Changes how long a received message stays hidden from now (`0` makes it visible at once). */
  async changeVisibility(receiptHandle: string, timeoutMs: number): Promise<boolean> {
    const message = this.#byReceipt(receiptHandle);
    if (!message) return false;
    message.visibleAt = Date.now() + timeoutMs;
    await this.#write(message);
    if (timeoutMs === 0) this.#arrivals.emit("message");
    return true;
  }

  /**
   * Makes every in-flight message visible now: after a restart no consumer holds them any more,
   * so waiting out their visibility timeout would only delay recovery.
   */
  async releaseInFlight(): Promise<number> {
    await this.#sync();
    const now = Date.now();
    const held = [...this.#index.values()].filter((message) => message.visibleAt > now);
    for (const message of held) {
      message.visibleAt = now;
      delete message.receiptHandle;
      await this.#write(message);
    }
    if (held.length > 0) this.#arrivals.emit("message");
    return held.length;
  }

  /** A snapshot of every message in the queue, oldest first. */
  async messages(): Promise<StoredMessage[]> {
    await this.#sync();
    return [...this.#index.values()].sort((a, b) => a.sequence - b.sequence).map((m) => ({ ...m }));
  }

  /** How many messages are visible and how many are in flight. */
  async counts(): Promise<QueueCounts> {
    await this.#sync();
    const now = Date.now();
    let visible = 0;
    let inFlight = 0;
    for (const message of this.#index.values()) {
      if (message.visibleAt <= now) visible++;
      else inFlight++;
    }
    return { visible, inFlight };
  }

  /**
   * Moves messages of this queue to `target` (a DLQ redrive: SQS `StartMessageMoveTask`),
   * with a fresh receive count and visible at once. `messageIds` limits which.
   * Returns how many moved.
   */
  async moveMessagesTo(target: LocalQueue, messageIds?: readonly string[]): Promise<number> {
    await this.#sync();
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const chosen = [...this.#index.values()]
      .filter((message) => !wanted || wanted.has(message.messageId))
      .sort((a, b) => a.sequence - b.sequence);
    for (const message of chosen) {
      const moved: StoredMessage = { ...message, receiveCount: 0, visibleAt: Date.now() };
      delete moved.receiptHandle;
      delete moved.firstReceiveTimestamp;
      delete moved.deadLetterSourceQueue;
      await target.#accept(moved);
      await this.#remove(message.messageId);
    }
    return chosen.length;
  }

  /**
   * Resolves when a message may be available (one arrived, or `timeoutMs` passed), so a poller
   * reacts at once instead of on its next tick.
   */
  waitForArrival(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#arrivals.off("message", done);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.#arrivals.once("message", done);
      signal?.addEventListener("abort", done, { once: true });
    });
  }

  async #moveTo(message: StoredMessage, target: LocalQueue, sourceName: string): Promise<void> {
    const moved: StoredMessage = { ...message, visibleAt: Date.now(), deadLetterSourceQueue: sourceName };
    delete moved.receiptHandle;
    await target.#accept(moved);
    await this.#remove(message.messageId);
  }

  async #remove(messageId: string): Promise<void> {
    this.#removing.add(messageId);
    this.#index.delete(messageId);
    try {
      await rm(this.#pathOf(messageId), { force: true });
    } finally {
      this.#removing.delete(messageId);
    }
  }

  async #accept(message: StoredMessage): Promise<void> {
    const accepted = { ...message, sequence: this.#nextSequence(Date.now()) };
    await this.#write(accepted);
    this.#index.set(accepted.messageId, accepted);
    this.#arrivals.emit("message");
  }

  #byReceipt(receiptHandle: string): StoredMessage | undefined {
    const messageId = receiptHandle.split(":")[0] ?? "";
    const message = this.#index.get(messageId);
    return message?.receiptHandle === receiptHandle ? message : undefined;
  }

  /** Picks up files added or removed by other processes since the last look (one scan at a time). */
  async #sync(): Promise<void> {
    while (this.#syncing) await this.#syncing;
    this.#syncing = this.#scan();
    try {
      await this.#syncing;
    } finally {
      this.#syncing = undefined;
    }
  }

  async #scan(): Promise<void> {
    const { mtimeNs } = await stat(this.#messagesDir, { bigint: true });
    if (mtimeNs === this.#seenMtime) return;
    this.#seenMtime = mtimeNs;
    const names = new Set(
      (await readdir(this.#messagesDir)).filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5)),
    );
    for (const id of this.#index.keys()) if (!names.has(id)) this.#index.delete(id);
    let arrived = false;
    for (const id of names) {
      if (this.#index.has(id) || this.#removing.has(id)) continue;
      try {
        const message = JSON.parse(await readFile(this.#pathOf(id), "utf8")) as StoredMessage;
        if (this.#index.has(id) || this.#removing.has(id)) continue;
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

  #nextSequence(now: number): number {
    this.#lastSequence = Math.max(this.#lastSequence + 1, now * 1000);
    return this.#lastSequence;
  }

  #pathOf(messageId: string): string {
    return join(this.#messagesDir, `${messageId}.json`);
  }

  async #write(message: StoredMessage): Promise<void> {
    await writeFileAtomic(this.#pathOf(message.messageId), JSON.stringify(message), this.#tmpDir);
  }
}

function toReceived(message: StoredMessage): ReceivedMessage {
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle!,
    body: message.body,
    md5OfBody: message.md5OfBody,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      ApproximateFirstReceiveTimestamp: String(message.firstReceiveTimestamp ?? message.sentTimestamp),
      SenderId: SENDER_ID,
    },
    messageAttributes: { ...message.messageAttributes },
  };
}
