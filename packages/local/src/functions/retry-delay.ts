import type { LocalQueue } from "../bus/local-queue";

/** The retry settings of a hosted function (part of its `FunctionSettings`). */
export interface RetryBackoff {
  /** Hidden time of a message after its first failed receive; unset: the queue's visibility timeout. */
  retryDelayMs?: number;
  /** The longest the delay grows to; unset: the queue's visibility timeout. */
  maxRetryDelayMs?: number;
}

/** Doublings after which the delay is at its bound whatever the numbers (2^30 ms is 12 days). */
const MAX_DOUBLINGS = 30;

/**
 * How long a message whose invocation failed stays hidden before it comes back, as a handler
 * calling `ChangeMessageVisibility` with an exponential backoff would set it: `retryDelayMs`
 * after its first receive, doubled at each further receive, at most `maxRetryDelayMs` (by default
 * the visibility timeout, so never longer than SQS itself would wait). So a cause that lasts (a
 * database restarting) does not use up the message's receives in seconds, while a one-off
 * failure is retried at once.
 *
 * `undefined` (no `retryDelayMs`): the message waits out the visibility timeout. `0` when the
 * message has used its receives and the queue has a DLQ: the next receive moves it there, and
 * waiting first would only delay that.
 */
export function retryDelayOf(
  backoff: RetryBackoff,
  queue: Pick<LocalQueue, "settings" | "deadLetterQueue">,
  receiveCount: number,
): number | undefined {
  const { retryDelayMs, maxRetryDelayMs = queue.settings.visibilityTimeoutMs } = backoff;
  if (retryDelayMs === undefined) return undefined;
  if (queue.deadLetterQueue && receiveCount >= queue.settings.maxReceiveCount) return 0;
  const doublings = Math.min(Math.max(receiveCount - 1, 0), MAX_DOUBLINGS);
  return Math.min(retryDelayMs * 2 ** doublings, maxRetryDelayMs);
}
