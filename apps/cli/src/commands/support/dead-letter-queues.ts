import { DLQ_SUFFIX } from "@sluice/local";
import { CliError } from "../../errors";
import { EXIT } from "../../exit-codes";

/**
 * The dead-letter queue `queue` names (`loader` or `loader-dlq`), or all of them.
 * @throws CliError (not found) naming the known queues when there is no such queue.
 */
export function selectQueues<Q extends { name: string }>(
  queues: readonly Q[],
  queue: string | undefined,
): Q[] {
  if (queue === undefined) return [...queues];
  const name = queue.endsWith(DLQ_SUFFIX) ? queue : `${queue}${DLQ_SUFFIX}`;
  const found = queues.filter((q) => q.name === name);
  if (found.length === 0)
    throw new CliError(
      `no dead-letter queue ${name} (known: ${queues.map((q) => q.name).join(", ") || "none"})`,
      EXIT.notFound,
    );
  return found;
}
