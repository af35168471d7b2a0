import type { FunctionHost, JournalEntry, LocalQueue } from "@sluice/local";

/** Whether everything put in has come out: nothing queued, running or waiting to be relayed. */
export interface DrainState {
  drained: boolean;
  /** Messages waiting in the consumer queues. */
  queued: number;
  /** Messages received and not yet deleted. */
  inFlight: number;
  /** Handler invocations running. */
  invocations: number;
  /** Container tasks running, and exits still being checked by the task watch. */
  tasks: number;
  /** Events tasks wrote that are not on the bus yet. */
  outbox: number;
}

/** Everything that holds work in the local runtime. */
export interface DrainSources {
  /** The consumer queues (not their DLQs: what sits there is parked, not pending). */
  queues: readonly LocalQueue[];
  host: Pick<FunctionHost, "activeInvocations">;
  tasks: () => number;
  outbox: () => Promise<number>;
}

/** Options of {@link waitUntilDrained}. */
export interface DrainOptions {
  /** Give up after this long. Default 10 minutes. */
  timeoutMs?: number;
  /** How often to look. Default 50 ms. */
  pollMs?: number;
}

/** How following the runtime ended. */
export type DrainOutcome = "drained" | "timeout" | "interrupted";

/** Whether the runtime is idle now. */
export async function drainStateOf(sources: DrainSources): Promise<DrainState> {
  let queued = 0;
  let inFlight = 0;
  for (const queue of sources.queues) {
    const counts = await queue.counts();
    queued += counts.visible;
    inFlight += counts.inFlight;
  }
  const invocations = sources.host.activeInvocations();
  const tasks = sources.tasks();
  const outbox = await sources.outbox();
  return {
    drained: queued + inFlight + invocations + tasks + outbox === 0,
    queued,
    inFlight,
    invocations,
    tasks,
    outbox,
  };
}

/** Resolves `true` once `state` says drained twice in a row, or `false` after `timeoutMs`. */
export async function waitUntilDrained(
  state: () => Promise<DrainState>,
  { timeoutMs = 10 * 60_000, pollMs = 50 }: DrainOptions = {},
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let idleChecks = 0;
  while (Date.now() < deadline) {
    idleChecks = (await state()).drained ? idleChecks + 1 : 0;
    // Twice in a row: a message can be between a delete and the publish it caused.
    if (idleChecks >= 2) return true;
    await new Promise((done) => setTimeout(done, pollMs));
  }
  return false;
}

/** Options of {@link followUntilDrained}. */
export interface FollowOptions {
  timeoutMs: number;
  /** Resolves when the person asked to stop (Ctrl-C). */
  interrupted?: Promise<void>;
  /** Receives every event published while following. */
  onEvent?: (entry: JournalEntry) => void;
}

/** Waits until `runtime` drains, `timeoutMs` passes or `interrupted` resolves, passing events on meanwhile. */
export async function followUntilDrained(
  runtime: {
    drain(options: DrainOptions): Promise<boolean>;
    onEvent(listener: (entry: JournalEntry) => void): () => void;
  },
  { timeoutMs, interrupted, onEvent }: FollowOptions,
): Promise<DrainOutcome> {
  const unsubscribe = onEvent ? runtime.onEvent(onEvent) : () => undefined;
  try {
    const drained = runtime.drain({ timeoutMs }).then((done): DrainOutcome => (done ? "drained" : "timeout"));
    return await (interrupted
      ? Promise.race([drained, interrupted.then((): DrainOutcome => "interrupted")])
      : drained);
  } finally {
    unsubscribe();
  }
}
