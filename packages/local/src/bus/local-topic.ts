import { randomUUID } from "node:crypto";
import { assertPublishable, SNS_MAX_MESSAGE_BYTES } from "@sluice/core";
import { type Clock, systemClock } from "../clock";
import { type FilterPolicy, type MessageAttributes, matchesFilterPolicy } from "./filter-policy";
import { validateFilterPolicy } from "./filter-policy-validation";
import type { LocalQueue } from "./local-queue";
import type { SqsMessageAttribute } from "./message-store";

/** The JSON body SNS delivers to an SQS queue subscribed without raw message delivery. */
export interface SnsNotification {
  Type: "Notification";
  MessageId: string;
  TopicArn: string;
  Subject?: string;
  Message: string;
  Timestamp: string;
  SignatureVersion: "1";
  Signature: string;
  SigningCertURL: string;
  UnsubscribeURL: string;
  MessageAttributes?: MessageAttributes;
}

/** A message to publish. */
export interface PublishInput {
  message: string;
  /** Message attributes; plain strings are `String` attributes. */
  attributes?: Record<string, string | MessageAttributes[string]>;
  subject?: string;
}

/** What {@link LocalTopic.publish} did. */
export interface PublishResult {
  messageId: string;
  /** Names of the subscriptions whose filter policy matched (the message went to each). */
  deliveredTo: string[];
}

/** Receives notifications in-process (e.g. the event journal): SNS's archive-style subscription. */
export type NotificationSink = (notification: SnsNotification) => Promise<void>;

/** Options of a subscription. */
export interface SubscriptionOptions {
  /** Only messages whose attributes match are delivered (SNS `FilterPolicy`, scope MessageAttributes). */
  filterPolicy?: FilterPolicy;
  /** Deliver the bare message (attributes as SQS message attributes) instead of the SNS JSON envelope. */
  rawMessageDelivery?: boolean;
}

interface Subscription {
  name: string;
  arn: string;
  filterPolicy: FilterPolicy | undefined;
  deliver(notification: SnsNotification): Promise<void>;
}

/**
 * An SNS topic: publishing fans a message out to every subscription whose filter policy
 * matches its attributes. {@link publish} resolves once every matching queue has the message
 * on disk, so a publisher that saw it resolve never loses it; a publisher that crashed before
 * retries, and the consumers see a duplicate (at-least-once, as with SNS).
 */
export class LocalTopic {
  readonly name: string;
  readonly arn: string;
  readonly #subscriptions: Subscription[] = [];
  readonly #clock: Clock;

  readonly #maxMessageBytes: number;

  /**
   * `clock` stamps each notification's `Timestamp` (default {@link systemClock});
   * `maxMessageBytes` is SNS's message size limit (262,144 bytes, body and attributes).
   */
  constructor(
    name: string,
    arnPrefix = "arn:aws:sns:us-east-1:000000000000",
    clock: Clock = systemClock,
    maxMessageBytes = SNS_MAX_MESSAGE_BYTES,
  ) {
    this.name = name;
    this.arn = `${arnPrefix}:${name}`;
    this.#clock = clock;
    this.#maxMessageBytes = maxMessageBytes;
  }

  /** Subscribes an SQS-like queue. */
  subscribeQueue(queue: LocalQueue, options: SubscriptionOptions = {}): void {
    if (options.filterPolicy) validateFilterPolicy(options.filterPolicy);
    this.#subscriptions.push({
      name: queue.name,
      arn: `${this.arn}:${randomUUID()}`,
      filterPolicy: options.filterPolicy,
      deliver: async (notification) => {
        if (options.rawMessageDelivery) {
          await queue.send(notification.Message, sqsAttributesOf(notification.MessageAttributes ?? {}));
        } else {
          await queue.send(JSON.stringify(notification));
        }
      },
    });
  }

  /** Subscribes an in-process sink under `name`. */
  subscribeSink(
    name: string,
    sink: NotificationSink,
    options: Pick<SubscriptionOptions, "filterPolicy"> = {},
  ): void {
    if (options.filterPolicy) validateFilterPolicy(options.filterPolicy);
    this.#subscriptions.push({
      name,
      arn: `${this.arn}:${randomUUID()}`,
      filterPolicy: options.filterPolicy,
      deliver: sink,
    });
  }

  /** Names of the current subscriptions. */
  subscriptionNames(): string[] {
    return this.#subscriptions.map((s) => s.name);
  }

  /**
   * Publishes `input` to every matching subscription. A message over SNS's size limit (body plus
   * every attribute's name, type and value) is refused, as SNS refuses it, with a
   * `MessageTooLargeError` and delivered nowhere.
   */
  async publish(input: PublishInput): Promise<PublishResult> {
    const attributes: MessageAttributes = {};
    for (const [name, value] of Object.entries(input.attributes ?? {})) {
      attributes[name] = typeof value === "string" ? { Type: "String", Value: value } : value;
    }
    assertPublishable(input.message, attributes, this.#maxMessageBytes, { topic: this.name });
    const messageId = randomUUID();
    const deliveredTo: string[] = [];
    for (const subscription of this.#subscriptions) {
      if (!matchesFilterPolicy(subscription.filterPolicy, attributes)) continue;
      const notification: SnsNotification = {
        Type: "Notification",
        MessageId: messageId,
        TopicArn: this.arn,
        Message: input.message,
        Timestamp: new Date(this.#clock.now()).toISOString(),
        SignatureVersion: "1",
        Signature: "LOCAL",
        SigningCertURL: "https://sns.local/SimpleNotificationService-local.pem",
        UnsubscribeURL: `https://sns.local/?Action=Unsubscribe&SubscriptionArn=${subscription.arn}`,
      };
      if (input.subject !== undefined) notification.Subject = input.subject;
      if (Object.keys(attributes).length > 0) notification.MessageAttributes = attributes;
      await subscription.deliver(notification);
      deliveredTo.push(subscription.name);
    }
    return { messageId, deliveredTo };
  }
}

function sqsAttributesOf(attributes: MessageAttributes): Record<string, SqsMessageAttribute> {
  const converted: Record<string, SqsMessageAttribute> = {};
  for (const [name, attribute] of Object.entries(attributes)) {
    converted[name] = {
      dataType: attribute.Type === "Number" ? "Number" : attribute.Type === "Binary" ? "Binary" : "String",
      stringValue: attribute.Value,
    };
  }
  return converted;
}
