import { Readable } from "node:stream";
import {
  type _Object,
  GetObjectCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  type S3Client,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import {
  type ByteRange,
  ConfigError,
  type ObjectHead,
  type ObjectStore,
  type PutOptions,
  type PutResult,
} from "@sluice/core";
import { httpStatusOf, ObjectNotFoundError, toRetryable } from "../errors";

/** S3 refuses multipart parts smaller than this (except the last one). */
export const MIN_PART_SIZE = 5 * 1024 * 1024;

/** Tuning of {@link S3ObjectStore}. */
export interface S3ObjectStoreConfig {
  /** Bytes per multipart part of a put; memory held is about `partSize × queueSize`. */
  partSize: number;
  /** Parts uploaded concurrently by one put. */
  queueSize: number;
  /** Keys asked for per ListObjectsV2 page (S3 returns at most 1000). */
  listPageSize: number;
}

/** Defaults of {@link S3ObjectStoreConfig}: 8 MiB × 4 parts keeps a put under ~32 MiB. */
export const DEFAULT_S3_OBJECT_STORE_CONFIG: Readonly<S3ObjectStoreConfig> = {
  partSize: 8 * 1024 * 1024,
  queueSize: 4,
  listPageSize: 1000,
};

/** Error names S3 answers with when the object or version is not there (HEAD has no body, so `NotFound`). */
const NOT_FOUND_NAMES = new Set(["NoSuchKey", "NotFound", "NoSuchVersion"]);

function isNotFound(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  if (name === "NoSuchBucket") return false;
  return (name !== undefined && NOT_FOUND_NAMES.has(name)) || httpStatusOf(error) === 404;
}

/** S3 returns entity tags in quotes; the ports carry them bare. */
function bareETag(eTag: string | undefined): string {
  return (eTag ?? "").replace(/"/g, "");
}

/** `bytes=start-end` for an inclusive {@link ByteRange}. */
export function rangeHeaderOf(range: ByteRange): string {
  if (!Number.isInteger(range.start) || range.start < 0) {
    throw new RangeError(`byte range start ${range.start} must be a non-negative integer`);
  }
  if (range.end !== undefined && (!Number.isInteger(range.end) || range.end < range.start)) {
    throw new RangeError(`byte range end ${range.end} must be an integer not before start ${range.start}`);
  }
  return `bytes=${range.start}-${range.end ?? ""}`;
}

/**
 * The {@link ObjectStore} port over Amazon S3. Reads stream (optionally a byte range of one
 * version), writes stream through a multipart upload (aborted on failure, so an object appears
 * whole or not at all), lists page by page. Missing objects reject with an
 * {@link ObjectNotFoundError}; throttling, 5xx and network failures with a `RetryableError`.
 *
 * The client is injected, built once at module scope by the handler (and pointed at a local
 * S3-compatible server in tests).
 */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #config: S3ObjectStoreConfig;

  constructor(client: S3Client, config: Partial<S3ObjectStoreConfig> = {}) {
    this.#client = client;
    this.#config = { ...DEFAULT_S3_OBJECT_STORE_CONFIG, ...config };
    if (this.#config.partSize < MIN_PART_SIZE) {
      throw new ConfigError(`S3 partSize ${this.#config.partSize} is below the S3 minimum ${MIN_PART_SIZE}`, {
        partSize: this.#config.partSize,
      });
    }
    if (!Number.isInteger(this.#config.queueSize) || this.#config.queueSize < 1) {
      throw new ConfigError(`S3 queueSize ${this.#config.queueSize} must be a positive integer`, {
        queueSize: this.#config.queueSize,
      });
    }
  }

  /** {@inheritDoc ObjectStore.get} */
  async get(
    bucket: string,
    key: string,
    options: { range?: ByteRange; versionId?: string } = {},
  ): Promise<Readable> {
    try {
      const output = await this.#client.send(
        new GetObjectCommand({
          Bucket: bucket,
          Key: key,
          VersionId: options.versionId,
          Range: options.range ? rangeHeaderOf(options.range) : undefined,
        }),
      );
      // In Node.js the SDK hands back the HTTP response itself: a Readable, streamed as it arrives.
      if (output.Body instanceof Readable) return output.Body;
      if (output.Body === undefined) return Readable.from([]);
      return Readable.from(Buffer.from(await output.Body.transformToByteArray()));
    } catch (error) {
      if (isNotFound(error)) throw new ObjectNotFoundError(bucket, key, options.versionId, { cause: error });
      throw toRetryable(error, "S3 GetObject", { bucket, key });
    }
  }

  /** {@inheritDoc ObjectStore.put} */
  async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options: PutOptions = {},
  ): Promise<PutResult> {
    const upload = new Upload({
      client: this.#client,
      partSize: this.#config.partSize,
      queueSize: this.#config.queueSize,
      // Abort the multipart upload on failure so no half object and no orphaned parts remain.
      leavePartsOnError: false,
      params: {
        Bucket: bucket,
        Key: key,
        Body: body,
        ContentType: options.contentType,
        ContentEncoding: options.contentEncoding,
        Metadata: options.metadata,
      },
    });
    try {
      const output = await upload.done();
      const result: PutResult = { eTag: bareETag(output.ETag) };
      if (output.VersionId) result.versionId = output.VersionId;
      return result;
    } catch (error) {
      throw toRetryable(error, "S3 upload", { bucket, key });
    }
  }

  /** {@inheritDoc ObjectStore.head} */
  async head(bucket: string, key: string): Promise<ObjectHead | undefined> {
    try {
      const output = await this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      const head: ObjectHead = {
        bucket,
        key,
        size: output.ContentLength ?? 0,
        eTag: bareETag(output.ETag),
        lastModified: output.LastModified ?? new Date(0),
      };
      if (output.VersionId) head.versionId = output.VersionId;
      if (output.ContentType) head.contentType = output.ContentType;
      if (output.ContentEncoding) head.contentEncoding = output.ContentEncoding;
      if (output.Metadata && Object.keys(output.Metadata).length > 0) head.metadata = output.Metadata;
      return head;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toRetryable(error, "S3 HeadObject", { bucket, key });
    }
  }

  /** {@inheritDoc ObjectStore.list} */
  async *list(bucket: string, prefix: string): AsyncIterable<ObjectHead> {
    const pages = paginateListObjectsV2(
      { client: this.#client, pageSize: this.#config.listPageSize },
      { Bucket: bucket, Prefix: prefix },
    );
    try {
      for await (const page of pages) {
        for (const entry of page.Contents ?? []) yield headOfListed(bucket, entry);
      }
    } catch (error) {
      throw toRetryable(error, "S3 ListObjectsV2", { bucket, prefix });
    }
  }
}

function headOfListed(bucket: string, entry: _Object): ObjectHead {
  return {
    bucket,
    key: entry.Key ?? "",
    size: entry.Size ?? 0,
    eTag: bareETag(entry.ETag),
    lastModified: entry.LastModified ?? new Date(0),
  };
}
