import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  createLogger,
  type EventPublisher,
  type Logger,
  type ObjectHead,
  type ObjectStore,
  type PutResult,
  QuarantineError,
  type SluiceEvent,
} from "@sluice/core";

/** An in-memory {@link ObjectStore} for unit tests. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();

  async get(bucket: string, key: string): Promise<Readable> {
    const body = this.objects.get(`${bucket}/${key}`);
    if (!body)
      throw new QuarantineError("not-found", `s3://${bucket}/${key} does not exist`, { bucket, key });
    return Readable.from([body]);
  }

  async put(bucket: string, key: string, body: Readable | Buffer | string): Promise<PutResult> {
    const chunks: Buffer[] = [];
    if (typeof body === "string" || Buffer.isBuffer(body)) chunks.push(Buffer.from(body));
    else for await (const chunk of body) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    this.objects.set(`${bucket}/${key}`, bytes);
    return { eTag: createHash("md5").update(bytes).digest("hex") };
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const body = this.objects.get(`${bucket}/${key}`);
    return body ? { bucket, key, size: body.length, eTag: "x", lastModified: new Date() } : undefined;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    for (const name of [...this.objects.keys()].sort()) {
      if (name.startsWith(`${bucket}/${prefix}`)) {
        const key = name.slice(bucket.length + 1);
        yield (await this.head(bucket, key))!;
      }
    }
  }

  /** Keys stored in `bucket`, sorted. */
  keys(bucket: string): string[] {
    return [...this.objects.keys()]
      .filter((name) => name.startsWith(`${bucket}/`))
      .map((name) => name.slice(bucket.length + 1))
      .sort();
  }
}

/** An {@link EventPublisher} that keeps what it publishes. */
export class RecordingPublisher implements EventPublisher {
  readonly events: SluiceEvent[] = [];

  async publish(event: SluiceEvent): Promise<void> {
    this.events.push(event);
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }
}

/** A logger that writes nothing (tests spy on it when they need to). */
export function silentLogger(): Logger {
  return createLogger("legacy-wrapper", { level: "SILENT" });
}
