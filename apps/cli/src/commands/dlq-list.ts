import type { CommandHandler } from "../context";
import { EXIT } from "../exit-codes";
import { formatTable } from "../report/table";
import { type AwsOptions, deployedDeadLetterQueues, wantsAws } from "../status/aws-sources";
import { openLocalQueues } from "../status/local-status";
import { collectRunStatuses, type DeadLetterSource } from "../status/object-status";
import { selectQueues } from "./support/dead-letter-queues";

/** Options of `sluice dlq list`. */
export interface DlqListOptions extends AwsOptions {
  /** One queue (`loader` or `loader-dlq`); default all. */
  queue?: string;
  aws?: boolean;
}

/** One parked message, as `dlq list` shows it. */
export interface ListedMessage {
  queue: string;
  messageId: string;
  receiveCount: number;
  sentAt: string;
  /** The object key of its run, or the start of its body. */
  subject: string;
}

/**
 * `sluice dlq list`: the messages parked in the dead-letter queues, locally or in a deployed
 * environment. Exit `attention` when there is any.
 */
export const dlqList: CommandHandler<DlqListOptions> = async (options, { globals, reporter }) => {
  const queues: readonly DeadLetterSource[] = wantsAws(options)
    ? await deployedDeadLetterQueues(options)
    : (await openLocalQueues(globals.stateDir)).deadLetterQueues();
  const listed: ListedMessage[] = [];
  for (const queue of selectQueues(queues, options.queue)) listed.push(...(await listQueue(queue)));
  reporter.result(listed, () =>
    listed.length === 0
      ? "the dead-letter queues are empty"
      : formatTable(
          ["QUEUE", "MESSAGE", "RECEIVES", "SENT", "OBJECT"],
          listed.map((m) => [m.queue, m.messageId, String(m.receiveCount), m.sentAt, m.subject]),
        ),
  );
  return listed.length > 0 ? EXIT.attention : EXIT.ok;
};

/** The messages parked in `queue`, each with the object key of its run (or the start of its body). */
export async function listQueue(queue: DeadLetterSource): Promise<ListedMessage[]> {
  const messages = await queue.messages();
  const snapshot: DeadLetterSource = { name: queue.name, messages: async () => messages };
  const runs = await collectRunStatuses({ events: [], deadLetterQueues: [snapshot] });
  return messages.map((message) => {
    const run = runs.find((r) => r.deadLetters.some((d) => d.messageId === message.messageId));
    return {
      queue: queue.name,
      messageId: message.messageId,
      receiveCount: message.receiveCount,
      sentAt: new Date(message.sentTimestamp).toISOString(),
      subject: run ? run.key : message.body.slice(0, 80),
    };
  });
}
