import type { EventPublisher } from "@sluice/core";
import type { EventOutbox } from "@sluice/local";

/** Options of {@link OutboxRelay}. */
export interface OutboxRelayOptions {
  /** How often the outbox is looked at. */
  pollMs: number;
  /** Receives what went wrong (an invalid event file, a failed relay); relaying goes on. */
  onProblem: (line: string) => void;
}

/**
 * Publishes on the bus what container tasks wrote to the outbox (they run in other processes
 * and cannot reach the in-process bus): every `pollMs` while started, at once on
 * {@link relayNow}, and a last time on {@link stop}. Relays never overlap.
 */
export class OutboxRelay {
  readonly #outbox: EventOutbox;
  readonly #publisher: EventPublisher;
  readonly #options: OutboxRelayOptions;
  #timer: NodeJS.Timeout | undefined;
  #relaying: Promise<void> = Promise.resolve();
  #started = false;

  constructor(outbox: EventOutbox, publisher: EventPublisher, options: OutboxRelayOptions) {
    this.#outbox = outbox;
    this.#publisher = publisher;
    this.#options = options;
  }

  /** Starts relaying every `pollMs`. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const loop = () => {
      void this.relayNow().finally(() => {
        if (this.#started) this.#timer = setTimeout(loop, this.#options.pollMs);
      });
    };
    loop();
  }

  /** Relays what is waiting now (after a relay already running); never rejects. */
  relayNow(): Promise<void> {
    this.#relaying = this.#relaying.then(() =>
      this.#outbox
        .relay(this.#publisher, (file, error) =>
          this.#options.onProblem(`[outbox] ${file} is not a valid event: ${String(error)}`),
        )
        .then(
          () => undefined,
          (error: unknown) => this.#options.onProblem(`[outbox] relay failed: ${String(error)}`),
        ),
    );
    return this.#relaying;
  }

  /** Events waiting to be relayed. */
  pending(): Promise<number> {
    return this.#outbox.pending();
  }

  /** Stops the loop, then relays what is left once. */
  async stop(): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    clearTimeout(this.#timer);
    await this.relayNow();
  }
}
