import { attributesOf, ConfigError, type EventPublisher, type SluiceEvent } from "@sluice/core";
import { type Clock, systemClock } from "../clock";
import { LocalQueue, type OpenQueueOptions } from "./local-queue";
import { LocalTopic, type PublishResult, type SubscriptionOptions } from "./local-topic";
import type { QueueSettings } from "./queue-settings";

/** Options of {@link LocalBus}. */
export interface LocalBusOptions {
  /** Directory holding one directory per queue. */
  queuesDir: string;
  /** Name of the events topic. */
  topicName?: string;
  region?: string;
  accountId?: string;
  /**
   * What the bus's queues measure visibility and waits by, and the topic stamps notifications
   * with (default {@link systemClock}). Give the `FunctionHost` consuming them the same one.
   */
  clock?: Clock;
  /** fsync every queue change (see `Durability`). Default false. */
  fsync?: boolean;
}

/** Options of {@link LocalBus.createQueue}. */
export interface CreateQueueOptions {
  settings?: Partial<QueueSettings>;
  /** Create `<name>-dlq` and redrive to it after `maxReceiveCount` receives (default true). */
  deadLetterQueue?: boolean;
  /** Subscribe the queue to the events topic with these options (omit to leave it unsubscribed). */
  subscription?: SubscriptionOptions;
}

/** Suffix of dead-letter queue names. */
export const DLQ_SUFFIX = "-dlq";

/**
 * The local SNS + SQS: one events topic and durable queues with dead-letter queues, as the
 * infrastructure wires them in AWS (one queue per consumer, subscribed with a filter policy).
 */
export class LocalBus {
  readonly topic: LocalTopic;
  readonly queuesDir: string;
  readonly #queues = new Map<string, LocalQueue>();
  readonly #sqsArnPrefix: string;
  readonly #clock: Clock;
  readonly #fsync: boolean;

  constructor(options: LocalBusOptions) {
    const region = options.region ?? "us-east-1";
    const account = options.accountId ?? "000000000000";
    this.queuesDir = options.queuesDir;
    this.#clock = options.clock ?? systemClock;
    this.#fsync = options.fsync ?? false;
    this.topic = new LocalTopic(
      options.topicName ?? "sluice-events",
      `arn:aws:sns:${region}:${account}`,
      this.#clock,
    );
    this.#sqsArnPrefix = `arn:aws:sqs:${region}:${account}`;
  }

  /** Opens (or creates) queue `name`, its dead-letter queue, and its subscription. */
  async createQueue(name: string, options: CreateQueueOptions = {}): Promise<LocalQueue> {
    if (this.#queues.has(name)) throw new ConfigError(`queue ${name} already exists`, { name });
    let deadLetterQueue: LocalQueue | undefined;
    if (options.deadLetterQueue ?? true) {
      deadLetterQueue = await LocalQueue.open(this.queuesDir, `${name}${DLQ_SUFFIX}`, {
        arnPrefix: this.#sqsArnPrefix,
        clock: this.#clock,
        fsync: this.#fsync,
      });
      this.#queues.set(deadLetterQueue.name, deadLetterQueue);
    }
    const openOptions: OpenQueueOptions = {
      arnPrefix: this.#sqsArnPrefix,
      clock: this.#clock,
      fsync: this.#fsync,
    };
    if (options.settings) openOptions.settings = options.settings;
    if (deadLetterQueue) openOptions.deadLetterQueue = deadLetterQueue;
    const queue = await LocalQueue.open(this.queuesDir, name, openOptions);
    this.#queues.set(name, queue);
    if (options.subscription) this.topic.subscribeQueue(queue, options.subscription);
    return queue;
  }

  /** Opens every queue already on disk (for tools such as `sluice dlq` that run beside or after the runtime). */
  async openExisting(): Promise<void> {
    const opened = await LocalQueue.openAll(this.queuesDir, this.#sqsArnPrefix, this.#clock, this.#fsync);
    for (const [name, queue] of opened) {
      if (!this.#queues.has(name)) this.#queues.set(name, queue);
    }
  }

  /** The queue `name`, or a {@link ConfigError}. */
  queue(name: string): LocalQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw new ConfigError(`no queue named ${name}`, { name, known: [...this.#queues.keys()] });
    return queue;
  }

  /** Every open queue, by name. */
  queues(): LocalQueue[] {
    return [...this.#queues.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The open dead-letter queues. */
  deadLetterQueues(): LocalQueue[] {
    return this.queues().filter((queue) => queue.name.endsWith(DLQ_SUFFIX));
  }

  /**
   * Moves messages from a dead-letter queue back to the queue each came from (SQS DLQ redrive),
   * with a fresh receive count. `messageIds` limits which. Returns how many moved.
   */
  async redrive(deadLetterQueueName: string, messageIds?: readonly string[]): Promise<number> {
    const dlq = this.queue(deadLetterQueueName);
    const wanted = messageIds ? new Set(messageIds) : undefined;
    const bySource = new Map<string, string[]>();
    for (const message of await dlq.messages()) {
      if (wanted && !wanted.has(message.messageId)) continue;
      const source =
        message.deadLetterSourceQueue ??
        this.#sourceOf(dlq.name) ??
        deadLetterQueueName.slice(0, -DLQ_SUFFIX.length);
      bySource.set(source, [...(bySource.get(source) ?? []), message.messageId]);
    }
    let moved = 0;
    for (const [source, ids] of bySource) moved += await dlq.moveMessagesTo(this.queue(source), ids);
    return moved;
  }

  /** Publishes a message on the events topic. */
  publish(input: Parameters<LocalTopic["publish"]>[0]): Promise<PublishResult> {
    return this.topic.publish(input);
  }

  /** The {@link EventPublisher} port over this bus: the event JSON as message, `attributesOf` as attributes. */
  publisher(): EventPublisher {
    return new LocalEventPublisher(this.topic);
  }

  #sourceOf(dlqName: string): string | undefined {
    return this.queues().find((queue) => queue.deadLetterQueue?.name === dlqName)?.name;
  }
}

/** Publishes pipeline events to a {@link LocalTopic} exactly as the SNS publisher does to SNS. */
export class LocalEventPublisher implements EventPublisher {
  readonly #topic: LocalTopic;

  constructor(topic: LocalTopic) {
    this.#topic = topic;
  }

  /** {@inheritDoc EventPublisher.publish} */
  async publish(event: SluiceEvent): Promise<void> {
    await this.#topic.publish({ message: JSON.stringify(event), attributes: stringAttributes(event) });
  }
}

/** The SNS message attributes of `event` as plain strings. */
export function stringAttributes(event: SluiceEvent): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributesOf(event))) {
    if (value !== undefined) attributes[name] = String(value);
  }
  return attributes;
}
