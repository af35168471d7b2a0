import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ByteRange, ObjectHead, ObjectStore, PutOptions, PutResult } from "@sluice/core";
import { QuarantineError } from "@sluice/core";
import type { S3Event } from "aws-lambda";
import {
  copyFileTo,
  type Durability,
  forgetDirs,
  isFsError,
  openForWriting,
  renameDurable,
  writeFileAtomic,
} from "../files";
import { bodyName, isSidecarName, keyPathOf, prefixDirsOf, sidecarName } from "./key-paths";
import { PendingNotifications } from "./pending-notifications";
import {
  LOCAL_NOTIFICATION_ORIGIN,
  type NotificationOrigin,
  objectCreatedNotification,
} from "./s3-notification";
import { headOf, readSidecarFile, type Sidecar } from "./sidecar";

/** Receives the S3 event notification of each object written to a bucket (e.g. sends it to a queue). */
export type S3NotificationSink = (notification: S3Event) => Promise<void>;

/** Options of {@link LocalObjectStore}. */
export interface LocalObjectStoreOptions {
  /** Directory holding one directory per bucket. */
  rootDir: string;
  /** Buckets with versioning enabled: their objects get a `versionId`, as in S3. */
  versionedBuckets?: readonly string[];
  /** Region, principal and configuration id the notifications claim. */
  origin?: NotificationOrigin;
  /** fsync bodies, metadata and directories as they are written (see `Durability`). Default false. */
  fsync?: boolean;
}

/** The object (or version) asked for does not exist; the `not-found` code every store uses. */
export class LocalObjectNotFoundError extends QuarantineError {
  constructor(bucket: string, key: string, versionId?: string) {
    super("not-found", `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ""} does not exist`, {
      bucket,
      key,
      ...(versionId ? { versionId } : {}),
    });
  }
}

/** Attempts of a read that races a concurrent overwrite removing the body it was about to open. */
const READ_ATTEMPTS = 3;

/**
 * The {@link ObjectStore} port over a directory per bucket.
 *
 * Layout: `<rootDir>/<bucket>/<segment dirs>/<name>.~meta.json` is the object's metadata
 * (key, size, eTag = MD5 hex, content type, user metadata, versionId, sequencer) and names its
 * body file `<name>.~<generation>.obj`; key segments are escaped by {@link encodeKeySegment}.
 * A put streams into `<bucket>/.tmp/`, renames the body into place, then renames the new
 * sidecar over the old one: that rename is the commit, so readers see the old object or the
 * new one, never a mix. The previous body is removed afterwards.
 *
 * A bucket with a notification sink ({@link onObjectCreated}) gets the S3 event notification
 * AWS would send after each put; the put resolves only once the sink has taken it. The put
 * records the notification it owes (`<bucket>/.pending/`) before it commits the object and
 * forgets it once the sink took it, so after a crash in between {@link recoverNotifications}
 * announces the object: an object is never stored without its notification being handed on.
 */
export class LocalObjectStore implements ObjectStore {
  readonly rootDir: string;
  readonly #versioned: ReadonlySet<string>;
  readonly #origin: NotificationOrigin;
  readonly #sinks = new Map<string, S3NotificationSink>();
  /** Puts of one key run one after another, so overwrites never leave an orphaned body. */
  readonly #keyLocks = new Map<string, Promise<unknown>>();
  readonly #durability: Durability;
  readonly #pending: PendingNotifications;
  #lastSequencer = 0n;

  constructor(options: LocalObjectStoreOptions) {
    this.rootDir = options.rootDir;
    this.#durability = { fsync: options.fsync ?? false };
    this.#pending = new PendingNotifications(this.#durability);
    this.#versioned = new Set(options.versionedBuckets ?? []);
    this.#origin = options.origin ?? LOCAL_NOTIFICATION_ORIGIN;
  }

  /** Sends an S3 event notification to `sink` for every object created in `bucket`. */
  onObjectCreated(bucket: string, sink: S3NotificationSink): void {
    this.#sinks.set(bucket, sink);
  }

  /** Creates the bucket's directory (puts create it too). */
  async createBucket(bucket: string): Promise<void> {
    await mkdir(this.#bucketDir(bucket), { recursive: true });
  }

  /** {@inheritDoc ObjectStore.get} */
  async get(
    bucket: string,
    key: string,
    options: { range?: ByteRange; versionId?: string } = {},
  ): Promise<Readable> {
    for (let attempt = 1; ; attempt++) {
      const sidecar = await this.#readSidecar(bucket, key);
      if (!sidecar || (options.versionId !== undefined && sidecar.versionId !== options.versionId)) {
        throw new LocalObjectNotFoundError(bucket, key, options.versionId);
      }
      const range = options.range ? checkRange(options.range, sidecar.size) : undefined;
      try {
        const handle = await open(join(this.#dirOf(bucket, key), sidecar.body), "r");
        if (range === null) {
          await handle.close();
          return Readable.from([]);
        }
        return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
      } catch (error) {
        // A concurrent put replaced the object between reading its metadata and opening its body.
        if (isFsError(error, "ENOENT") && attempt < READ_ATTEMPTS) continue;
        throw error;
      }
    }
  }

  /** {@inheritDoc ObjectStore.put} */
  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<PutResult> {
    return this.#put(bucket, key, options, (tmp) => writeBody(tmp, body));
  }

  /**
   * Stores the file at `path` as `key`: what {@link put} of its bytes stores, the copy made by the
   * kernel (`copyFile`: `copy_file_range`, or a reflink where the file system has them) while
   * the eTag's MD5 is read beside it, instead of every chunk passing through this thread twice.
   * A file that changes while it is stored (its size or modification time) is refused.
   */
  async putFile(bucket: string, key: string, path: string, options: PutOptions = {}): Promise<PutResult> {
    return this.#put(bucket, key, options, (tmp) => copyBody(tmp, path));
  }

  async #put(bucket: string, key: string, options: PutOptions, write: WriteBody): Promise<PutResult> {
    if (key === "") throw new RangeError("object key must not be empty");
    const { stored, pending } = await this.#withKeyLock(`${bucket}\u0000${key}`, () =>
      this.#store(bucket, key, options, write),
    );
    await this.#notify(bucket, stored);
    if (pending) await this.#pending.settle(pending);
    const result: PutResult = { eTag: stored.eTag };
    if (stored.versionId !== undefined) result.versionId = stored.versionId;
    return result;
  }

  /**
   * Sends the bucket's sink the notification of an object already stored, as if it had just
   * been written, without rewriting it (a replay: same eTag, so the same run id; a new
   * sequencer). Resolves `false` when the object does not exist or the bucket has no sink.
   */
  async renotify(bucket: string, key: string): Promise<boolean> {
    const sidecar = await this.#readSidecar(bucket, key);
    if (!sidecar || !this.#sinks.has(bucket)) return false;
    await this.#notify(bucket, { ...sidecar, sequencer: this.#nextSequencer() });
    return true;
  }

  /**
   * Sends the notifications that puts interrupted by a crash still owe, oldest first: the
   * object each committed gets its notification (perhaps a second time); a put that never
   * committed leaves nothing (its body file is removed), nor do the bucket's temporary files.
   * Call it at start, before anything else writes to the bucket. Resolves the keys announced.
   */
  async recoverNotifications(bucket: string): Promise<string[]> {
    const bucketDir = this.#bucketDir(bucket);
    const announced: string[] = [];
    if (!this.#sinks.has(bucket)) return announced;
    for (const { file, pending } of await this.#pending.list(bucketDir)) {
      const sidecar = await this.#readSidecar(bucket, pending.key);
      if (sidecar?.body === pending.body) {
        await this.#notify(bucket, sidecar);
        announced.push(pending.key);
      } else {
        await rm(join(this.#dirOf(bucket, pending.key), pending.body), { force: true });
      }
      await this.#pending.settle(file);
    }
    await rm(join(bucketDir, ".tmp"), { recursive: true, force: true });
    forgetDirs(join(bucketDir, ".tmp"));
    return announced;
  }

  async #notify(bucket: string, stored: Sidecar): Promise<void> {
    const sink = this.#sinks.get(bucket);
    if (!sink) return;
    const created: Parameters<typeof objectCreatedNotification>[0] = {
      bucket,
      key: stored.key,
      size: stored.size,
      eTag: stored.eTag,
      sequencer: stored.sequencer,
    };
    if (stored.versionId !== undefined) created.versionId = stored.versionId;
    await sink(objectCreatedNotification(created, { origin: this.#origin }));
  }

  /** {@inheritDoc ObjectStore.head} */
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    const sidecar = await this.#readSidecar(bucket, key);
    return sidecar ? headOf(bucket, sidecar) : undefined;
  }

  /** {@inheritDoc ObjectStore.list} */
  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    const start = join(this.#bucketDir(bucket), ...prefixDirsOf(prefix));
    const found: Sidecar[] = [];
    await this.#collect(start, prefix, found);
    // S3 lists in UTF-8 binary order of the keys.
    found.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
    for (const sidecar of found) yield headOf(bucket, sidecar);
  }

  /** Removes an object (not part of the port; used to tidy up and in tests). */
  async delete(bucket: string, key: string): Promise<void> {
    await this.#withKeyLock(`${bucket}\u0000${key}`, async () => {
      const sidecar = await this.#readSidecar(bucket, key);
      if (!sidecar) return;
      const dir = this.#dirOf(bucket, key);
      await rm(join(dir, sidecarName(keyPathOf(key).base)), { force: true });
      await rm(join(dir, sidecar.body), { force: true });
    });
  }

  async #store(
    bucket: string,
    key: string,
    options: PutOptions,
    write: WriteBody,
  ): Promise<{ stored: Sidecar; pending?: string }> {
    const tmpDir = join(this.#bucketDir(bucket), ".tmp");
    const tmp = join(tmpDir, `${randomUUID()}.body`);
    let written: WrittenBody;
    try {
      written = await write(tmp);
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
    const generation = `${Date.now().toString(36)}-${randomUUID().slice(0, 8)}`;
    const { base } = keyPathOf(key);
    const dir = this.#dirOf(bucket, key);
    const previous = await this.#readSidecar(bucket, key);
    const sidecar: Sidecar = {
      key,
      size: written.size,
      eTag: written.eTag,
      lastModified: new Date().toISOString(),
      sequencer: this.#nextSequencer(),
      body: bodyName(base, generation),
    };
    if (options.contentType !== undefined) sidecar.contentType = options.contentType;
    if (options.contentEncoding !== undefined) sidecar.contentEncoding = options.contentEncoding;
    if (options.metadata !== undefined) sidecar.metadata = { ...options.metadata };
    if (this.#versioned.has(bucket)) sidecar.versionId = generation;
    const pending = this.#sinks.has(bucket)
      ? await this.#pending.record(this.#bucketDir(bucket), {
          key,
          body: sidecar.body,
          sequencer: sidecar.sequencer,
        })
      : undefined;
    await renameDurable(tmp, join(dir, sidecar.body), this.#durability);
    // The commit: from this rename on the object is the new one.
    await writeFileAtomic(join(dir, sidecarName(base)), JSON.stringify(sidecar), tmpDir, this.#durability);
    if (previous && previous.body !== sidecar.body) await rm(join(dir, previous.body), { force: true });
    return pending ? { stored: sidecar, pending } : { stored: sidecar };
  }

  async #collect(dir: string, prefix: string, found: Sidecar[]): Promise<void> {
    let entries: import("node:fs").Dirent[];
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      if (isFsError(error, "ENOENT") || isFsError(error, "ENOTDIR")) return;
      throw error;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        // Dot-names are the store's own (`.tmp`, `.pending`): escaped key segments never start with a dot.
        if (!entry.name.startsWith(".")) await this.#collect(path, prefix, found);
      } else if (isSidecarName(entry.name)) {
        const sidecar = await readSidecarFile(path);
        if (sidecar?.key.startsWith(prefix)) found.push(sidecar);
      }
    }
  }

  async #readSidecar(bucket: string, key: string): Promise<Sidecar | undefined> {
    return readSidecarFile(join(this.#dirOf(bucket, key), sidecarName(keyPathOf(key).base)));
  }

  #bucketDir(bucket: string): string {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      throw new RangeError(`bucket name ${JSON.stringify(bucket)} is not a valid S3 bucket name`);
    }
    return join(this.rootDir, bucket);
  }

  #dirOf(bucket: string, key: string): string {
    return join(this.#bucketDir(bucket), ...keyPathOf(key).dirs);
  }

  /** S3 sequencers are hex strings compared by length, then lexically; these stay 16 digits for centuries. */
  #nextSequencer(): string {
    const fromClock = BigInt(Date.now()) * 1_000_000n;
    this.#lastSequencer = fromClock > this.#lastSequencer ? fromClock : this.#lastSequencer + 1n;
    return this.#lastSequencer.toString(16).toUpperCase().padStart(16, "0");
  }

  async #withKeyLock<T>(lockKey: string, work: () => Promise<T>): Promise<T> {
    const before = this.#keyLocks.get(lockKey) ?? Promise.resolve();
    const run = before.catch(() => undefined).then(work);
    this.#keyLocks.set(lockKey, run);
    try {
      return await run;
    } finally {
      if (this.#keyLocks.get(lockKey) === run) this.#keyLocks.delete(lockKey);
    }
  }
}

/**
 * The file offsets to read for `range` of an object of `size` bytes, clamped like S3 (an end
 * past the object reads to its end); `null` for an empty object read from 0. A start past the
 * end is S3's `InvalidRange` (416).
 */
function checkRange(range: ByteRange, size: number): { start: number; end: number } | null {
  if (!Number.isInteger(range.start) || range.start < 0) {
    throw new RangeError(`byte range start ${range.start} must be a non-negative integer`);
  }
  if (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start)) {
    throw new RangeError(`byte range end ${range.end} must be an integer not before start ${range.start}`);
  }
  if (size === 0 && range.start === 0) return null;
  if (range.start >= size)
    throw new RangeError(`byte range start ${range.start} is past the object's ${size} bytes`);
  return { start: range.start, end: Math.min(range.end ?? size - 1, size - 1) };
}

/** A new object's body as written to its temporary file: its size and eTag (MD5, hex). */
interface WrittenBody {
  size: number;
  eTag: string;
}

/** Writes a new object's body to the temporary file `tmp`. */
type WriteBody = (tmp: string) => Promise<WrittenBody>;

/** Streams `body` into `tmp`, its MD5 computed on the way. */
async function writeBody(tmp: string, body: Readable | Buffer | string): Promise<WrittenBody> {
  const md5 = createHash("md5");
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source =
    typeof body === "string" || Buffer.isBuffer(body) ? Readable.from([Buffer.from(body)]) : body;
  const file = await openForWriting(tmp);
  await pipeline(source, measure, file.createWriteStream());
  return { size, eTag: md5.digest("hex") };
}

/** Reads for the MD5 of a file copied by the kernel: one read per MiB instead of per 64 KiB. */
const HASH_READ_BYTES = 1024 * 1024;

/** Copies the file at `path` to `tmp` (the kernel's copy) while its MD5 is read beside it. */
async function copyBody(tmp: string, path: string): Promise<WrittenBody> {
  const before = await stat(path);
  const md5 = createHash("md5");
  const hashed = (async () => {
    for await (const chunk of createReadStream(path, { highWaterMark: HASH_READ_BYTES })) md5.update(chunk);
  })();
  await Promise.all([copyFileTo(path, tmp), hashed]);
  const after = await stat(path);
  if (after.size !== before.size || after.mtimeMs !== before.mtimeMs)
    throw new Error(`${path} changed while it was being stored; store it again once it is written`);
  return { size: before.size, eTag: md5.digest("hex") };
}
