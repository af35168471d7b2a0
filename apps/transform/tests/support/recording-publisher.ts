import type { EventPublisher, SluiceEvent } from "@sluice/core";

/** An {@link EventPublisher} test double that keeps every published event. */
export class RecordingPublisher implements EventPublisher {
  readonly events: SluiceEvent[] = [];
  /** When set, `publish` rejects with it (to test retries). */
  fault: Error | undefined;

  async publish(event: SluiceEvent): Promise<void> {
    if (this.fault) throw this.fault;
    this.events.push(event);
  }
}
