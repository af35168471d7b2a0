import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { ByteRange, ObjectHead, ObjectStore, PutOptions, PutResult } from "@sluice/core";
import { LocalObjectNotFoundError } from "./local-object-store";

interface StoredObject {
  body: Buffer;
  options: PutOptions;
  lastModified: Date;
}

/** Decides whether a `put` fails: return an error to reject it with, or undefined to let it pass. */
export type PutFault = (bucket: string, key: string) => Error | undefined;

/**
 * An in-memory {@link ObjectStore} for unit tests of the phases. Puts consume their stream like
 * a real store (an object appears whole, or not at all when the stream fails); gets stream the
 * body in `chunkSize`-byte chunks so tests can cut multi-byte characters and line breaks across
 * chunks. A missing object fails like {@link LocalObjectStore}'s (`not-found`).
 */
export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, StoredObject>();
  /** Every completed put, in order, as `bucket/key`. */
  readonly puts: string[] = [];
  /** Size of the chunks `get` streams. */
  chunkSize: number;
  /** When set, consulted before every put (to test failures half-way through staging). */
  putFault: PutFault | undefined;

  constructor(options: { chunkSize?: number } = {}) {
    this.chunkSize = options.chunkSize ?? 64 * 1024;
  }

  /** Stores `body` directly (test setup). */
  seed(bucket: string, key: string, body: Buffer | string): void {
    this.#objects.set(`${bucket}/${key}`, { body: Buffer.from(body), options: {}, lastModified: new Date() });
  }

  /** The bytes of an object, or undefined. */
  bytes(bucket: string, key: string): Buffer | undefined {
    return this.#objects.get(`${bucket}/${key}`)?.body;
  }

  /** Every key in `bucket` starting with `prefix`, sorted. */
  keys(bucket: string, prefix = ""): string[] {
    return [...this.#objects.keys()]
      .filter((k) => k.startsWith(`${bucket}/${prefix}`))
      .map((k) => k.slice(bucket.length + 1))
      .sort();
  }

  /** Forgets every object. */
  clear(): void {
    this.#objects.clear();
  }

  /** {@inheritDoc ObjectStore.get} */
  async get(bucket: string, key: string, options: { range?: ByteRange } = {}): Promise<Readable> {
    const object = this.#objects.get(`${bucket}/${key}`);
    if (!object) throw new LocalObjectNotFoundError(bucket, key);
    const start = options.range?.start ?? 0;
    const end = options.range?.end !== undefined ? options.range.end + 1 : object.body.length;
    const body = object.body.subarray(start, end);
    const chunkSize = this.chunkSize;
    return Readable.from(
      (function* () {
        for (let i = 0; i < body.length; i += chunkSize) yield body.subarray(i, i + chunkSize);
      })(),
      { objectMode: false },
    );
  }

  /** {@inheritDoc ObjectStore.put} */
  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<PutResult> {
    const fault = this.putFault?.(bucket, key);
    if (fault) {
      if (body instanceof Readable) body.destroy(fault);
      throw fault;
    }
    let bytes: Buffer;
    if (body instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk as Buffer));
      bytes = Buffer.concat(chunks);
    } else {
      bytes = Buffer.from(body);
    }
    this.#objects.set(`${bucket}/${key}`, { body: bytes, options, lastModified: new Date() });
    this.puts.push(`${bucket}/${key}`);
    return { eTag: createHash("md5").update(bytes).digest("hex") };
  }

  /** {@inheritDoc ObjectStore.head} */
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const object = this.#objects.get(`${bucket}/${key}`);
    if (!object) return undefined;
    return {
      bucket,
      key,
      size: object.body.length,
      eTag: createHash("md5").update(object.body).digest("hex"),
      lastModified: object.lastModified,
      ...object.options,
    };
  }

  /** {@inheritDoc ObjectStore.list} */
  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    for (const key of this.keys(bucket, prefix)) {
      const head = await this.head(bucket, key);
      if (head) yield head;
    }
  }
}
