import { randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type EventPublisher, parseEvent, type SluiceEvent } from "@sluice/core";
import { type Durability, isFsError, writeFileAtomic } from "../files";

/**
 * Events published by processes other than the runtime (the legacy-wrapper task started by
 * {@link LocalTaskRunner}), handed to the runtime through a directory: the task writes one
 * JSON file per event (atomically), the runtime publishes each on its bus and then deletes it.
 * A crash between the two republishes the event: at-least-once, like SNS.
 */
export class EventOutbox {
  readonly dir: string;
  readonly #durability: Durability;

  /** With `fsync`, a publish resolves only once the event's file is on disk. */
  constructor(dir: string, options: { fsync?: boolean } = {}) {
    this.dir = dir;
    this.#durability = { fsync: options.fsync ?? false };
  }

  /** The {@link EventPublisher} a task process uses: publishing = writing a file here. */
  publisher(): EventPublisher {
    return {
      publish: async (event: SluiceEvent) => {
        const name = `${Date.now().toString().padStart(15, "0")}-${randomUUID()}.json`;
        const tmpDir = join(this.dir, ".tmp");
        await writeFileAtomic(join(this.dir, name), JSON.stringify(event), tmpDir, this.#durability);
      },
    };
  }

  /** Events waiting in the outbox. */
  async pending(): Promise<number> {
    return (await this.#names()).length;
  }

  /**
   * Publishes every waiting event through `publisher`, oldest first, deleting each once
   * published. A file that is not a valid event is moved aside to `<dir>/rejected/` rather than
   * blocking the rest. Returns how many were published.
   */
  async relay(
    publisher: EventPublisher,
    onRejected?: (file: string, error: unknown) => void,
  ): Promise<number> {
    let published = 0;
    for (const name of await this.#names()) {
      const path = join(this.dir, name);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        if (isFsError(error, "ENOENT")) continue;
        throw error;
      }
      let event: SluiceEvent;
      try {
        event = parseEvent(text);
      } catch (error) {
        onRejected?.(path, error);
        const tmpDir = join(this.dir, ".tmp");
        await writeFileAtomic(join(this.dir, "rejected", name), text, tmpDir, this.#durability);
        await rm(path, { force: true });
        continue;
      }
      await publisher.publish(event);
      await rm(path, { force: true });
      published++;
    }
    return published;
  }

  /**
   * Looked at every few tens of milliseconds (the relay, the drain check) and usually missing (no
   * task ran): a synchronous existence check spares the thrown `ENOENT` of each look.
   */
  async #names(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    try {
      return readdirSync(this.dir)
        .filter((name) => name.endsWith(".json"))
        .sort();
    } catch (error) {
      if (isFsError(error, "ENOENT")) return [];
      throw error;
    }
  }
}
