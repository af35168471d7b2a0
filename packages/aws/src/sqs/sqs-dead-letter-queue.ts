import {
  GetQueueAttributesCommand,
  paginateListQueues,
  ReceiveMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { ConfigError } from "@sluice/core";
import { toRetryable } from "../errors";

/** A message parked in a dead-letter queue, as `sluice status` and `sluice dlq list` show it. */
export interface DeadLetterMessage {
  messageId: string;
  body: string;
  /** SQS `ApproximateReceiveCount` (it includes the receives in the source queue, and each peek). */
  receiveCount: number;
  /** Epoch ms the message was first sent (SQS keeps it across dead-lettering). */
  sentTimestamp: number;
}

/** How many messages a dead-letter queue holds (SQS's approximate counts). */
export interface DeadLetterDepth {
  visible: number;
  inFlight: number;
}

/** Tuning of {@link SqsDeadLetterQueue}. */
export interface SqsDeadLetterQueueConfig {
  /** Messages per ReceiveMessage while peeking (SQS allows at most 10). */
  receiveBatchSize: number;
  /** Peeking stops after this many receives in a row that bring no message not seen yet. */
  emptyReceivesToStop: number;
  /** Peeking stops after this many messages, however many the queue holds. */
  maxMessages: number;
}

/** Defaults of {@link SqsDeadLetterQueueConfig}. */
export const DEFAULT_SQS_DEAD_LETTER_QUEUE_CONFIG: Readonly<SqsDeadLetterQueueConfig> = {
  receiveBatchSize: 10,
  emptyReceivesToStop: 3,
  maxMessages: 1000,
};

/** The suffix every Sluice dead-letter queue name ends with. */
export const DEAD_LETTER_QUEUE_SUFFIX = "-dlq";

/** The queue name at the end of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueNameOf(url: string): string {
  const name = url.replace(/\/+$/, "").split("/").pop();
  if (!name) throw new ConfigError(`${url} is not an SQS queue URL`, { url });
  return name;
}

/**
 * One SQS dead-letter queue, read without disturbing it and redriven with SQS's own DLQ redrive.
 *
 * - `messages()` peeks: ReceiveMessage with `VisibilityTimeout: 0`, so every message stays visible
 *   (and redrivable) at once. Short polling samples a subset of SQS's servers per call, so it
 *   receives until it has seen the queue's approximate depth, or `emptyReceivesToStop` calls in a
 *   row bring nothing new. A DLQ has no redrive policy of its own, so the receive counts a peek
 *   adds move nothing anywhere.
 * - `redrive()` starts a message move task (`StartMessageMoveTask` without a destination), which
 *   sends every message back to the queue it was dead-lettered from; the consumers there pick
 *   them up by themselves.
 *
 * `name` is what people see (the local runtime's names, e.g. `loader-dlq`, when known); the
 * client is injected.
 */
export class SqsDeadLetterQueue {
  readonly url: string;
  readonly name: string;
  readonly #client: SQSClient;
  readonly #config: SqsDeadLetterQueueConfig;

  constructor(
    client: SQSClient,
    options: { url: string; name?: string },
    config: Partial<SqsDeadLetterQueueConfig> = {},
  ) {
    this.#client = client;
    this.url = options.url;
    this.name = options.name ?? queueNameOf(options.url);
    this.#config = { ...DEFAULT_SQS_DEAD_LETTER_QUEUE_CONFIG, ...config };
    if (this.#config.receiveBatchSize < 1 || this.#config.receiveBatchSize > 10)
      throw new ConfigError(`receiveBatchSize ${this.#config.receiveBatchSize} must be 1..10 (SQS's limit)`);
  }

  /** Approximate visible and in-flight message counts. */
  async depth(): Promise<DeadLetterDepth> {
    const attributes = await this.#attributes([
      "ApproximateNumberOfMessages",
      "ApproximateNumberOfMessagesNotVisible",
    ]);
    return {
      visible: Number(attributes.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
    };
  }

  /** The messages in the queue, each once, oldest first (peeked: they stay in the queue, visible). */
  async messages(): Promise<DeadLetterMessage[]> {
    const { visible } = await this.depth();
    const seen = new Map<string, DeadLetterMessage>();
    let emptyReceives = 0;
    while (
      seen.size < Math.min(visible, this.#config.maxMessages) &&
      emptyReceives < this.#config.emptyReceivesToStop
    ) {
      const before = seen.size;
      const output = await this.#send("SQS ReceiveMessage", () =>
        this.#client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.url,
            MaxNumberOfMessages: this.#config.receiveBatchSize,
            VisibilityTimeout: 0,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
          }),
        ),
      );
      for (const message of output.Messages ?? []) {
        if (!message.MessageId || seen.has(message.MessageId)) continue;
        seen.set(message.MessageId, {
          messageId: message.MessageId,
          body: message.Body ?? "",
          receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
          sentTimestamp: Number(message.Attributes?.SentTimestamp ?? 0),
        });
      }
      emptyReceives = seen.size > before ? 0 : emptyReceives + 1;
    }
    return [...seen.values()].sort((a, b) => a.sentTimestamp - b.sentTimestamp);
  }

  /**
   * Moves every message back to the queue it was dead-lettered from (an asynchronous SQS
   * message move task). Resolves the task handle and how many messages the queue held.
   */
  async redrive(): Promise<{ taskHandle: string; messages: number }> {
    const attributes = await this.#attributes(["QueueArn", "ApproximateNumberOfMessages"]);
    const messages = Number(attributes.ApproximateNumberOfMessages ?? 0);
    if (!attributes.QueueArn) throw new ConfigError(`SQS did not return the ARN of ${this.url}`);
    const output = await this.#send("SQS StartMessageMoveTask", () =>
      this.#client.send(new StartMessageMoveTaskCommand({ SourceArn: attributes.QueueArn })),
    );
    return { taskHandle: output.TaskHandle ?? "", messages };
  }

  async #attributes(
    names: ("QueueArn" | "ApproximateNumberOfMessages" | "ApproximateNumberOfMessagesNotVisible")[],
  ) {
    const output = await this.#send("SQS GetQueueAttributes", () =>
      this.#client.send(new GetQueueAttributesCommand({ QueueUrl: this.url, AttributeNames: names })),
    );
    return output.Attributes ?? {};
  }

  async #send<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw toRetryable(error, operation, { queueUrl: this.url });
    }
  }
}

/**
 * The dead-letter queues whose names start with `namePrefix` (e.g. `sluice-dev-`), named without
 * that prefix (so `sluice-dev-loader-dlq` shows as `loader-dlq`, as in the local runtime).
 */
export async function findDeadLetterQueues(
  client: SQSClient,
  namePrefix: string,
  config: Partial<SqsDeadLetterQueueConfig> = {},
): Promise<SqsDeadLetterQueue[]> {
  const found: SqsDeadLetterQueue[] = [];
  try {
    for await (const page of paginateListQueues({ client }, { QueueNamePrefix: namePrefix })) {
      for (const url of page.QueueUrls ?? []) {
        const name = queueNameOf(url);
        if (!name.endsWith(DEAD_LETTER_QUEUE_SUFFIX)) continue;
        found.push(new SqsDeadLetterQueue(client, { url, name: name.slice(namePrefix.length) }, config));
      }
    }
  } catch (error) {
    throw toRetryable(error, "SQS ListQueues", { namePrefix });
  }
  return found.sort((a, b) => a.name.localeCompare(b.name));
}
