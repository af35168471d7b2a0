import type { EventPublisher, SluiceEvent } from "@sluice/core";

/** An {@link EventPublisher} that keeps every published event in memory, for unit tests. */
export class MemoryEventPublisher implements EventPublisher {
  readonly events: SluiceEvent[] = [];
  /** When set, `publish` rejects with it (to test retries). */
  fault: Error | undefined;

  /** {@inheritDoc EventPublisher.publish} */
  async publish(event: SluiceEvent): Promise<void> {
    if (this.fault) throw this.fault;
    this.events.push(event);
  }

  /** The types of the published events, in order. */
  types(): string[] {
    return this.events.map((event) => event.type);
  }
}
