import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  type ByteRange,
  type ObjectHead,
  type ObjectStore,
  type PutOptions,
  type PutResult,
  QuarantineError,
} from "@sluice/core";

/**
 * A small directory-backed {@link ObjectStore} for the benchmark: `root/<bucket>/<key>` files,
 * written to a temporary name and renamed so an object appears whole or not at all. Streams both
 * ways, so it adds no buffering of its own to what the benchmark measures.
 */
export class DirectoryObjectStore implements ObjectStore {
  constructor(readonly root: string) {}

  #path(bucket: string, key: string): string {
    return join(this.root, bucket, key);
  }

  async get(bucket: string, key: string, options: { range?: ByteRange } = {}): Promise<Readable> {
    const path = this.#path(bucket, key);
    const exists = await stat(path).catch(() => undefined);
    if (!exists) throw new QuarantineError("not-found", `${bucket}/${key} does not exist`, { bucket, key });
    return createReadStream(path, {
      highWaterMark: 64 * 1024,
      ...(options.range ? { start: options.range.start, end: options.range.end } : {}),
    });
  }

  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    _options?: PutOptions,
  ): Promise<PutResult> {
    const path = this.#path(bucket, key);
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.${process.pid}.${Date.now()}.partial`;
    const hash = createHash("md5");
    const source = body instanceof Readable ? body : Readable.from([Buffer.from(body)]);
    try {
      await pipeline(
        source,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(temporary),
      );
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    await rename(temporary, path);
    return { eTag: hash.digest("hex") };
  }

  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const info = await stat(this.#path(bucket, key)).catch(() => undefined);
    if (!info) return undefined;
    return { bucket, key, size: info.size, eTag: `${info.size}-${info.mtimeMs}`, lastModified: info.mtime };
  }

  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    const base = join(this.root, bucket);
    const entries = await readdir(base, { recursive: true, withFileTypes: true }).catch(() => []);
    const keys = entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(base, join(entry.parentPath, entry.name)))
      .filter((key) => key.startsWith(prefix))
      .sort();
    for (const key of keys) {
      const head = await this.head(bucket, key);
      if (head) yield head;
    }
  }
}
