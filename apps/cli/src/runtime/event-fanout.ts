import type { JournalEntry } from "@sluice/local";

/** Passes each published event to the listeners subscribed at that moment. */
export class EventFanout {
  readonly #listeners = new Set<(entry: JournalEntry) => void>();

  /** Adds `listener`; returns its removal. */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** True when someone listens (events are parsed only then). */
  get listening(): boolean {
    return this.#listeners.size > 0;
  }

  /** Hands `entry` to every listener. */
  emit(entry: JournalEntry): void {
    for (const listener of this.#listeners) listener(entry);
  }
}
