import {
  ChangeMessageVisibilityBatchCommand,
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
  /** Messages per ReceiveMessage while listing (SQS allows at most 10). */
  receiveBatchSize: number;
  /**
   * Long-polling wait of each ReceiveMessage while listing, 1..20 s. Above 0 SQS queries all of
   * its servers, so an empty answer means no visible message is left; at 0 (short polling) it
   * samples a subset and an empty answer proves nothing.
   */
  waitTimeSeconds: number;
  /** Listing stops after this many receives in a row that bring no message not seen yet. */
  emptyReceivesToStop: number;
  /**
   * How long a listed message stays hidden while the listing goes on (so the next receive brings
   * the others); every listed message is made visible again when the listing ends.
   */
  listingVisibilitySeconds: number;
  /** Listing stops after this many messages, however many the queue holds. */
  maxMessages: number;
}

/** Defaults of {@link SqsDeadLetterQueueConfig}. */
export const DEFAULT_SQS_DEAD_LETTER_QUEUE_CONFIG: Readonly<SqsDeadLetterQueueConfig> = {
  receiveBatchSize: 10,
  waitTimeSeconds: 1,
  emptyReceivesToStop: 1,
  listingVisibilitySeconds: 60,
  maxMessages: 1000,
};

/** SQS's limit on entries of one ChangeMessageVisibilityBatch. */
const VISIBILITY_BATCH_SIZE = 10;

/** The suffix every Sluice dead-letter queue name ends with. */
export const DEAD_LETTER_QUEUE_SUFFIX = "-dlq";

/** The queue name at the end of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueNameOf(url: string): string {
  const name = url.replace(/\/+$/, "").split("/").pop();
  if (!name) throw new ConfigError(`${url} is not an SQS queue URL`, { url });
  return name;
}

/**
 * One SQS dead-letter queue, listed by receiving it to the end and redriven with SQS's own DLQ
 * redrive.
 *
 * - `messages()` never trusts `ApproximateNumberOfMessages`: SQS's counts lag (a queue that holds
 *   messages can read 0 for a while), so it receives until a receive brings nothing new. Each
 *   receive long-polls (`waitTimeSeconds` > 0 queries all of SQS's servers; short polling samples
 *   a subset and can answer empty while messages wait elsewhere, which is why a short-polling
 *   reader needs several empty receives in a row before believing the queue is empty) and hides
 *   what it got for `listingVisibilitySeconds`, so the next receive brings other messages.
 *   Messages are deduplicated by `MessageId` (one seen twice keeps its latest receipt handle) and,
 *   when the listing ends (also when it fails), made visible again at once
 *   (`ChangeMessageVisibility` 0): a listing never keeps them from a redrive. A message whose
 *   release fails becomes visible by itself after `listingVisibilitySeconds`. A DLQ has no redrive
 *   policy of its own, so the receive counts a listing adds move nothing anywhere.
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
    const { receiveBatchSize, waitTimeSeconds, emptyReceivesToStop } = this.#config;
    if (receiveBatchSize < 1 || receiveBatchSize > 10)
      throw new ConfigError(`receiveBatchSize ${receiveBatchSize} must be 1..10 (SQS's limit)`);
    if (waitTimeSeconds < 1 || waitTimeSeconds > 20)
      throw new ConfigError(`waitTimeSeconds ${waitTimeSeconds} must be 1..20: listing long-polls`);
    if (emptyReceivesToStop < 1) throw new ConfigError("emptyReceivesToStop must be at least 1");
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

  /**
   * The messages in the queue, each once, oldest first. They are received to the end whatever the
   * approximate counts say, and visible again when this resolves.
   */
  async messages(): Promise<DeadLetterMessage[]> {
    const { receiveBatchSize, waitTimeSeconds, emptyReceivesToStop, listingVisibilitySeconds, maxMessages } =
      this.#config;
    const seen = new Map<string, DeadLetterMessage>();
    const receiptHandles = new Map<string, string>();
    let emptyReceives = 0;
    try {
      while (seen.size < maxMessages && emptyReceives < emptyReceivesToStop) {
        const before = seen.size;
        const output = await this.#send("SQS ReceiveMessage", () =>
          this.#client.send(
            new ReceiveMessageCommand({
              QueueUrl: this.url,
              MaxNumberOfMessages: Math.min(receiveBatchSize, maxMessages - seen.size),
              VisibilityTimeout: listingVisibilitySeconds,
              WaitTimeSeconds: waitTimeSeconds,
              MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
            }),
          ),
        );
        for (const message of output.Messages ?? []) {
          if (!message.MessageId) continue;
          if (message.ReceiptHandle) receiptHandles.set(message.MessageId, message.ReceiptHandle);
          if (seen.has(message.MessageId)) continue;
          seen.set(message.MessageId, {
            messageId: message.MessageId,
            body: message.Body ?? "",
            receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
            sentTimestamp: Number(message.Attributes?.SentTimestamp ?? 0),
          });
        }
        emptyReceives = seen.size > before ? 0 : emptyReceives + 1;
      }
    } finally {
      await this.#makeVisible([...receiptHandles.values()]);
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

  /**
   * Ends the listing's hold on the messages it received. Best effort: a message whose release
   * fails is hidden only until its listing visibility timeout runs out.
   */
  async #makeVisible(receiptHandles: string[]): Promise<void> {
    for (let start = 0; start < receiptHandles.length; start += VISIBILITY_BATCH_SIZE) {
      const entries = receiptHandles
        .slice(start, start + VISIBILITY_BATCH_SIZE)
        .map((handle, index) => ({ Id: String(index), ReceiptHandle: handle, VisibilityTimeout: 0 }));
      await this.#client
        .send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: this.url, Entries: entries }))
        .catch(() => undefined);
    }
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
