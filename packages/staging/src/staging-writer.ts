import { createHash } from "node:crypto";
import { PassThrough, pipeline, Transform, type TransformCallback, type Writable } from "node:stream";
import { createGzip, type ZlibOptions } from "node:zlib";
import {
  compileStagedRowEncoder,
  type DatasetContract,
  isRejection,
  type ObjectStore,
  type Rejection,
  type RowValidator,
  type StagingKeys,
} from "@sluice/core";
import type { StagingConfig } from "./config";
import { StoredGzip } from "./stored-gzip";

/** Where parsers hand each record: raw values in contract field order, and its physical line. */
export interface RecordSink {
  /** Validates one record and stages it, or records why it was rejected. */
  record(values: ArrayLike<unknown>, line: number): void;
  /** Records a row rejected before validation (e.g. invalid JSON, wrong field count). */
  reject(rejection: Rejection): void;
}

/** What the staged rows object holds once written. */
export interface StagedRowsDigest {
  /** SHA-256 (hex) of the object's bytes, as the loader checks them. */
  sha256: string;
  bytes: number;
}

/** Hashes and counts the bytes flowing through, so the checksum costs no second read. */
class DigestStream extends Transform {
  readonly #hash = createHash("sha256");
  bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.bytes += chunk.length;
    callback(null, chunk);
  }

  digest(): StagedRowsDigest {
    return { sha256: this.#hash.digest("hex"), bytes: this.bytes };
  }
}

/** Resolves when `stream` can take more writes; rejects when it fails or closes first. */
function drained(stream: Writable): Promise<void> {
  if (!stream.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
    const onDrain = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onClose = () => {
      cleanup();
      reject(stream.errored ?? new Error("staging output closed before it drained"));
    };
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onClose);
  });
}

/**
 * Validates records and streams the run's two data outputs into the store as they are produced:
 * valid rows as gzip CSV (Postgres COPY form, each row led by its line: `STAGED_LINE_COLUMN`)
 * with their SHA-256 computed on the way, rejections
 * as NDJSON. The rejects object is started when the first rejections are written out: a run
 * without any writes none (one request less per clean object; readers go by the run's
 * `counts.rejected`). Output is
 * batched into {@link StagingConfig.writeChunkChars} writes; callers poll
 * {@link saturated} and wait on {@link drained} so memory stays bounded by the stream buffers.
 */
export class StagingWriter implements RecordSink {
  /** Rows staged and rejected so far. */
  readonly counts = { staged: 0, rejected: 0 };
  /** The first rejections, quoted in a quarantine event. */
  readonly firstRejections: Rejection[] = [];

  readonly #validate: RowValidator;
  readonly #encode: (line: number, row: readonly (string | null)[]) => string;
  readonly #config: StagingConfig;
  readonly #gzip;
  readonly #digest = new DigestStream();
  /** The rejects object's body, from the first rejection on. */
  #rejects: PassThrough | undefined;
  /** Where {@link upload} writes, for the rejects object started later. */
  #target: { store: ObjectStore; bucket: string; keys: StagingKeys } | undefined;
  /** Settles {@link #rejectsWritten}: with the rejects object's failure, or done. */
  #settleRejects: (error?: unknown) => void = () => {};
  /** Settles when the rejects object is written, or at {@link end} or {@link abort} without one. */
  readonly #rejectsWritten = new Promise<void>((resolve, reject) => {
    this.#settleRejects = (error) => (error === undefined ? resolve() : reject(error));
  });
  #rows = "";
  #rejected = "";

  constructor(contract: DatasetContract, validate: RowValidator, config: StagingConfig) {
    this.#validate = validate;
    this.#encode = compileStagedRowEncoder(contract.fields);
    this.#config = config;
    this.#gzip =
      config.gzipLevel === 0
        ? new StoredGzip({ highWaterMark: config.streamHighWaterMark })
        : // Zlib streams take stream options too; their typings only omit them.
          createGzip({
            level: config.gzipLevel,
            chunkSize: config.gzipChunkBytes,
            highWaterMark: config.streamHighWaterMark,
          } as ZlibOptions);
    // Failures of the outputs surface through upload() and the pipeline's abort; a store may
    // also destroy a body it gives up on, which must not become an unhandled 'error' event.
    pipeline(this.#gzip, this.#digest, () => {});
  }

  /**
   * Starts streaming the rows into `bucket` at `keys` (the rejections follow from the first);
   * resolves with the rows digest once the outputs are complete (after {@link end}), rejects with
   * the store's error. Called before the first record.
   */
  async upload(store: ObjectStore, bucket: string, keys: StagingKeys): Promise<StagedRowsDigest> {
    this.#target = { store, bucket, keys };
    await Promise.all([
      store.put(bucket, keys.rowsKey, this.#digest, { contentType: "text/csv", contentEncoding: "gzip" }),
      this.#rejectsWritten,
    ]);
    return this.#digest.digest();
  }

  record(values: ArrayLike<unknown>, line: number): void {
    const result = this.#validate(values, line);
    if (isRejection(result)) {
      this.reject(result);
      return;
    }
    this.counts.staged++;
    this.#rows += this.#encode(line, result);
    if (this.#rows.length >= this.#config.writeChunkChars) this.#flushRows();
  }

  reject(rejection: Rejection): void {
    this.counts.rejected++;
    if (this.firstRejections.length < this.#config.firstRejectionsInEvent)
      this.firstRejections.push(rejection);
    this.#rejected += `${JSON.stringify(rejection)}\n`;
    if (this.#rejected.length >= this.#config.writeChunkChars) this.#flushRejects();
  }

  /** True when an output buffer is full: stop feeding records until {@link drained} resolves. */
  get saturated(): boolean {
    return this.#gzip.writableNeedDrain || this.#rejects?.writableNeedDrain === true;
  }

  /** Resolves when both outputs can take more. */
  async drained(): Promise<void> {
    await Promise.all([drained(this.#gzip), this.#rejects && drained(this.#rejects)]);
  }

  /** Flushes what is batched and ends both outputs; {@link upload} then completes. */
  end(): void {
    this.#flushRows();
    this.#flushRejects();
    this.#gzip.end();
    if (this.#rejects) this.#rejects.end();
    else this.#settleRejects();
  }

  /** Fails both outputs with `error`, so the store abandons them instead of completing them. */
  abort(error: Error): void {
    this.#gzip.destroy(error);
    this.#digest.destroy(error);
    if (this.#rejects) this.#rejects.destroy(error);
    else this.#settleRejects();
  }

  #flushRows(): void {
    if (this.#rows === "") return;
    this.#gzip.write(this.#rows);
    this.#rows = "";
  }

  #flushRejects(): void {
    if (this.#rejected === "") return;
    this.#rejectsBody().write(this.#rejected);
    this.#rejected = "";
  }

  /** The rejects object's body, its upload started on first use. */
  #rejectsBody(): PassThrough {
    if (this.#rejects) return this.#rejects;
    const target = this.#target;
    if (!target) throw new Error("StagingWriter: upload() must be called before the first record");
    const body = new PassThrough({ highWaterMark: this.#config.streamHighWaterMark });
    body.on("error", () => {});
    this.#rejects = body;
    target.store
      .put(target.bucket, target.keys.rejectsKey, body, { contentType: "application/x-ndjson" })
      .then(
        () => this.#settleRejects(),
        (error: unknown) => this.#settleRejects(error ?? new Error("rejects upload failed")),
      );
    return body;
  }
}
