import { createHash, randomBytes, randomUUID } from "node:crypto";
import { join } from "node:path";
import { type Clock, systemClock } from "../clock";
import { deadLettered, redriven, transferMessage } from "./dead-letter";
import { MessageStore, type SqsMessageAttribute, type StoredMessage } from "./message-store";
import {
  type QueueFile,
  type QueueSettings,
  readQueueFiles,
  resolveQueueSettings,
  writeQueueFile,
} from "./queue-settings";

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

/** Message counts, like SQS's `ApproximateNumberOfMessages*` attributes. */
export interface QueueCounts {
  visible: number;
  inFlight: number;
}

/** Options of {@link LocalQueue.open}. */
export interface OpenQueueOptions {
  settings?: Partial<QueueSettings>;
  deadLetterQueue?: LocalQueue;
  /** `arn:aws:sqs:<region>:<account>`. */
  arnPrefix?: string;
  /** What visibility deadlines and receive waits are measured by (default {@link systemClock}). */
  clock?: Clock;
  /** fsync every message change (see `Durability`). Default false. */
  fsync?: boolean;
}

const SENDER_ID = "LOCAL";

/**
 * A durable queue with SQS standard-queue semantics: at-least-once delivery, a visibility
 * timeout, receive counts, a redrive policy to a dead-letter queue, receipt handles.
 *
 * On disk: `<queuesDir>/<name>/queue.json` (settings) and `<queuesDir>/<name>/messages/<id>.json`,
 * one file per message holding its body, receive count, visibility deadline and current receipt
 * handle (a {@link MessageStore}). A message being processed when the process dies is still on
 * disk with its receive count; it comes back when its visibility deadline passes, or at once
 * after {@link releaseInFlight} on restart. Before each receive the queue picks up files other
 * processes added and forgets files they removed.
 */
export class LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly settings: Readonly<QueueSettings>;
  readonly deadLetterQueue: LocalQueue | undefined;
  /** What the queue's deadlines and waits are measured by. */
  readonly clock: Clock;
  readonly #store: MessageStore;

  private constructor(queuesDir: string, name: string, settings: QueueSettings, options: OpenQueueOptions) {
    this.name = name;
    this.arn = `${options.arnPrefix ?? "arn:aws:sqs:us-east-1:000000000000"}:${name}`;
    this.settings = settings;
    this.deadLetterQueue = options.deadLetterQueue;
    this.clock = options.clock ?? systemClock;
    this.#store = new MessageStore(join(queuesDir, name, "messages"), join(queuesDir, ".tmp"), {
      fsync: options.fsync ?? false,
    });
  }

  /** Opens (creating when missing) the queue `name` under `queuesDir` and records its settings. */
  static async open(queuesDir: string, name: string, options: OpenQueueOptions = {}): Promise<LocalQueue> {
    const settings = resolveQueueSettings(name, options.settings);
    const queue = new LocalQueue(queuesDir, name, settings, options);
    const file: QueueFile = { name, settings };
    if (options.deadLetterQueue) file.deadLetterQueue = options.deadLetterQueue.name;
    await queue.#store.open();
    await writeQueueFile(join(queuesDir, name), file, join(queuesDir, ".tmp"), {
      fsync: options.fsync ?? false,
    });
    return queue;
  }

  /**
   * Opens every queue recorded under `queuesDir` with the settings it was created with
   * (dead-letter queues first, so sources can point at them). For tools that inspect state.
   */
  static async openAll(
    queuesDir: string,
    arnPrefix?: string,
    clock?: Clock,
    fsync?: boolean,
  ): Promise<Map<string, LocalQueue>> {
    const files = await readQueueFiles(queuesDir);
    const opened = new Map<string, LocalQueue>();
    const openOne = async (name: string): Promise<LocalQueue | undefined> => {
      const existing = opened.get(name);
      if (existing) return existing;
      const file = files.get(name);
      if (!file) return undefined;
      const deadLetterQueue = file.deadLetterQueue ? await openOne(file.deadLetterQueue) : undefined;
      const options: OpenQueueOptions = { settings: file.settings };
      if (deadLetterQueue) options.deadLetterQueue = deadLetterQueue;
      if (arnPrefix) options.arnPrefix = arnPrefix;
      if (clock) options.clock = clock;
      if (fsync) options.fsync = fsync;
      const queue = await LocalQueue.open(queuesDir, name, options);
      opened.set(name, queue);
      return queue;
    };
    for (const name of [...files.keys()].sort()) await openOne(name);
    return opened;
  }

  /** Sends a message; resolves once it is on disk. Returns its message id. */
  async send(body: string, messageAttributes: Record<string, SqsMessageAttribute> = {}): Promise<string> {
    const now = this.clock.now();
    const messageId = randomUUID();
    await this.#store.add(
      {
        messageId,
        body,
        md5OfBody: createHash("md5").update(body).digest("hex"),
        messageAttributes,
        sentTimestamp: now,
        receiveCount: 0,
        visibleAt: now,
      },
      now,
    );
    return messageId;
  }

  /**
   * Receives up to `max` visible messages, oldest first, hiding each for the visibility
   * timeout. A message already received `maxReceiveCount` times moves to the dead-letter queue
   * instead (or, without one, stays available, as SQS does without a redrive policy).
   */
  async receive(max: number): Promise<ReceivedMessage[]> {
    await this.#store.sync();
    const now = this.clock.now();
    const taken: StoredMessage[] = [];
    const overReceived: StoredMessage[] = [];
    // Select and hide synchronously, so concurrent receives never hand out the same message.
    for (const message of this.#store.ordered()) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) continue;
      if (this.deadLetterQueue && message.receiveCount >= this.settings.maxReceiveCount) {
        this.#store.forget(message.messageId);
        overReceived.push(message);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceiveTimestamp ??= now;
      message.visibleAt = now + this.settings.visibilityTimeoutMs;
      message.receiptHandle = `${message.messageId}:${message.receiveCount}:${randomBytes(12).toString("hex")}`;
      taken.push(message);
    }
    for (const message of overReceived) {
      const dlq = this.deadLetterQueue!;
      const at = dlq.clock.now();
      await transferMessage(this.#store, dlq.#store, deadLettered(message, this.name, at), at);
    }
    await Promise.all(taken.map((message) => this.#store.save(message)));
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
    await this.#store.remove(message.messageId);
    return true;
  }

  /** Changes how long a received message stays hidden from now (`0` makes it visible at once). */
  async changeVisibility(receiptHandle: string, timeoutMs: number): Promise<boolean> {
    const message = this.#byReceipt(receiptHandle);
    if (!message) return false;
    message.visibleAt = this.clock.now() + timeoutMs;
    await this.#store.save(message);
    if (timeoutMs === 0) this.#store.announce();
    return true;
  }

  /**
   * Makes every in-flight message visible now: after a restart no consumer holds them any more,
   * so waiting out their visibility timeout would only delay recovery.
   */
  async releaseInFlight(): Promise<number> {
    await this.#store.sync();
    const now = this.clock.now();
    const held = this.#store.ordered().filter((message) => message.visibleAt > now);
    for (const message of held) {
      message.visibleAt = now;
      delete message.receiptHandle;
      await this.#store.save(message);
    }
    if (held.length > 0) this.#store.announce();
    return held.length;
  }

  /** A snapshot of every message in the queue, oldest first. */
  async messages(): Promise<StoredMessage[]> {
    await this.#store.sync();
    return this.#store.ordered().map((m) => ({ ...m }));
  }

  /** How many messages are visible and how many are in flight. */
  async counts(): Promise<QueueCounts> {
    await this.#store.sync();
    const now = this.clock.now();
    let visible = 0;
    let inFlight = 0;
    for (const message of this.#store.ordered()) {
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
    await this.#store.sync();
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const chosen = this.#store.ordered().filter((message) => !wanted || wanted.has(message.messageId));
    for (const message of chosen) {
      const now = target.clock.now();
      await transferMessage(this.#store, target.#store, redriven(message, now), now);
    }
    return chosen.length;
  }

  /**
   * Resolves when a message may be available (one arrived, or `timeoutMs` passed on the queue's
   * clock, or `signal` aborted), so a poller reacts at once instead of on its next tick.
   */
  waitForArrival(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.#store.waitForArrival(this.clock, timeoutMs, signal);
  }

  #byReceipt(receiptHandle: string): StoredMessage | undefined {
    const messageId = receiptHandle.split(":")[0] ?? "";
    const message = this.#store.get(messageId);
    return message?.receiptHandle === receiptHandle ? message : undefined;
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
