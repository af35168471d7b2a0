import { type MessageAttributeValue, PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import { assertPublishable, attributesOf, type EventPublisher, type SluiceEvent } from "@sluice/core";
import { toRetryable } from "../errors";

/** Where {@link SnsEventPublisher} publishes. */
export interface SnsEventPublisherConfig {
  /** ARN of the pipeline's events topic (core `ENV.eventsTopicArn`). */
  topicArn: string;
}

/**
 * The SNS message attributes of `event` (`type`, `dataset`, `route` as String), which the
 * queues' subscription filter policies match on.
 */
export function messageAttributesOf(event: SluiceEvent): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributesOf(event))) {
    if (value !== undefined) attributes[name] = { DataType: "String", StringValue: value };
  }
  return attributes;
}

/**
 * The {@link EventPublisher} port over Amazon SNS: the event's CloudEvents JSON is the
 * message, its {@link messageAttributesOf attributes} the message attributes. Throttling, 5xx
 * and network failures reject with a `RetryableError`; anything else (a wrong topic ARN, a
 * missing permission) is rethrown unchanged. A message over SNS's 256 KiB (body and attributes)
 * is refused before the call with a `MessageTooLargeError` (dead-letter: sending it again cannot
 * help); `createEvent` keeps events under it. The client is injected.
 */
export class SnsEventPublisher implements EventPublisher {
  readonly #client: SNSClient;
  readonly #topicArn: string;

  constructor(client: SNSClient, config: SnsEventPublisherConfig) {
    this.#client = client;
    this.#topicArn = config.topicArn;
  }

  /** {@inheritDoc EventPublisher.publish} */
  async publish(event: SluiceEvent): Promise<void> {
    const message = JSON.stringify(event);
    const attributes = messageAttributesOf(event);
    assertPublishable(
      message,
      Object.fromEntries(
        Object.entries(attributes).map(([name, a]) => [
          name,
          { Type: a.DataType, Value: a.StringValue ?? "" },
        ]),
      ),
      undefined,
      { eventType: event.type, eventId: event.id, subject: event.subject },
    );
    try {
      await this.#client.send(
        new PublishCommand({ TopicArn: this.#topicArn, Message: message, MessageAttributes: attributes }),
      );
    } catch (error) {
      throw toRetryable(error, "SNS Publish", {
        topicArn: this.#topicArn,
        eventType: event.type,
        eventId: event.id,
        subject: event.subject,
      });
    }
  }
}
