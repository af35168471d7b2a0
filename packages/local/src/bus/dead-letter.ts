import type { MessageStore, StoredMessage } from "./message-store";

/**
 * The copy of `message` a dead-letter queue keeps: visible at once, with its receive count (as
 * SQS keeps it) and the queue it came from, where a redrive sends it back.
 */
export function deadLettered(message: StoredMessage, sourceQueue: string, now: number): StoredMessage {
  const moved: StoredMessage = { ...message, visibleAt: now, deadLetterSourceQueue: sourceQueue };
  delete moved.receiptHandle;
  return moved;
}

/** The copy of `message` a redrive (SQS `StartMessageMoveTask`) sends back: a fresh receive count, visible at once. */
export function redriven(message: StoredMessage, now: number): StoredMessage {
  const moved: StoredMessage = { ...message, receiveCount: 0, visibleAt: now };
  delete moved.receiptHandle;
  delete moved.firstReceiveTimestamp;
  delete moved.deadLetterSourceQueue;
  return moved;
}

/**
 * Moves a message between queues: `moved` (its new state) is written to `to` first and only then
 * is the original removed from `from`, so a crash in between leaves it in both (delivered twice,
 * which at-least-once allows), never in neither.
 */
export async function transferMessage(
  from: MessageStore,
  to: MessageStore,
  moved: StoredMessage,
  now: number,
): Promise<void> {
  await to.add(moved, now);
  await from.remove(moved.messageId);
}
