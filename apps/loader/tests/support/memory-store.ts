import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import {
  type ByteRange,
  type ObjectHead,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  QuarantineError,
} from "@sluice/core";

/** An in-memory {@link ObjectStore} test double: objects are byte buffers, streamed in small chunks. */
export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, { body: Buffer; head: ObjectHead }>();
  /** Size of the chunks `get` streams, small so stream handling is exercised. */
  chunkSize = 64 * 1024;

  async get(bucket: string, key: string, options: { range?: ByteRange } = {}): Promise<Readable> {
    const found = this.objects.get(`${bucket}/${key}`);
    if (!found)
      throw new QuarantineError("not-found", `s3://${bucket}/${key} does not exist`, { bucket, key });
    const { start = 0, end = found.body.length - 1 } = options.range ?? {};
    const body = found.body.subarray(start, end + 1);
    const chunkSize = this.chunkSize;
    return Readable.from(
      (function* () {
        for (let at = 0; at < body.length; at += chunkSize) yield body.subarray(at, at + chunkSize);
      })(),
    );
  }

  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<PutResult> {
    let bytes: Buffer;
    if (typeof body === "string") bytes = Buffer.from(body);
    else if (Buffer.isBuffer(body)) bytes = body;
    else {
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(Buffer.from(chunk));
      bytes = Buffer.concat(chunks);
    }
    const eTag = createHash("md5").update(bytes).digest("hex");
    const head: ObjectHead = { bucket, key, size: bytes.length, eTag, lastModified: new Date() };
    if (options.contentType) head.contentType = options.contentType;
    this.objects.set(`${bucket}/${key}`, { body: bytes, head });
    return { eTag };
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    return this.objects.get(`${bucket}/${key}`)?.head;
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    const keys = [...this.objects.keys()].filter((k) => k.startsWith(`${bucket}/${prefix}`)).sort();
    for (const k of keys) yield this.objects.get(k)!.head;
  }
}
