import type { Readable } from "node:stream";
import type { SluiceEvent } from "./events/envelope";
import type { ObjectRef } from "./objects/object-ref";

/** Metadata of a stored object. */
export interface ObjectHead {
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  versionId?: string;
  lastModified: Date;
  contentType?: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

/** An inclusive byte range, as HTTP `Range: bytes=start-end`. `end` omitted means to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

/** Options of {@link ObjectStore.put}. */
export interface PutOptions {
  contentType?: string;
  contentEncoding?: string;
  metadata?: Record<string, string>;
}

/** Result of a completed put. */
export interface PutResult {
  eTag: string;
  versionId?: string;
}

/**
 * The object store every phase reads and writes through: S3 in AWS, a directory per bucket
 * locally. All bodies are streams so memory stays bounded whatever the object size.
 */
export interface ObjectStore {
  /** Streams an object (or a byte range of it). Rejects with a `not-found` {@link QuarantineError} or a retryable error. */
  get(bucket: string, key: string, options?: { range?: ByteRange; versionId?: string }): Promise<Readable>;
  /** Streams a body into an object; the object appears whole or not at all. */
  put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options?: PutOptions,
  ): Promise<PutResult>;
  /** Metadata of an object, or `undefined` when there is none. */
  head(bucket: string, key: string): Promise<ObjectHead | undefined>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(bucket: string, prefix: string): AsyncIterable<ObjectHead>;
}

/** Publishes pipeline events (SNS in AWS, the in-process bus locally). */
export interface EventPublisher {
  publish(event: SluiceEvent): Promise<void>;
}

/** A request to run the legacy wrapper for one received object. */
export interface TaskLaunchRequest {
  /** The `sluice.object.received` event the task processes. */
  event: SluiceEvent<"sluice.object.received">;
  /**
   * Which attempt at the run this task is: 1 (the default) for the launch the event asked for,
   * then one more for each automatic retry of a retryable stop. Given to the task as `ENV.taskAttempt`.
   */
  attempt?: number;
}

/** What a launcher did. */
export interface TaskLaunchResult {
  /** Task identifier (ECS task ARN, local pid). */
  taskId: string;
  /** True when a task for this run was already running and no second one was started. */
  alreadyRunning: boolean;
}

/** Starts the legacy wrapper as a task (ECS RunTask in AWS, a child process locally). */
export interface TaskLauncher {
  launch(request: TaskLaunchRequest): Promise<TaskLaunchResult>;
}

/** Rows returned by {@link SqlSession.query}. */
export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

/** One connection inside a transaction. */
export interface SqlSession {
  /** Runs one parameterised statement (`$1`, `$2`…). Never interpolate data into `text`. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>>;
  /** Runs `COPY … FROM STDIN` fed by `source`; resolves with the number of rows copied. */
  copyFrom(copySql: string, source: Readable): Promise<number>;
}

/**
 * The Postgres the loader writes to: a real server (pg) or the embedded PGlite, behind one
 * small interface.
 */
export interface LoadTarget {
  /** Runs `work` in one transaction: commit when it resolves, roll back when it throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>;
  /** Runs one statement outside any explicit transaction. */
  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>>;
  close(): Promise<void>;
}

/** Resolves which object a reference names, for ports that need only bucket and key. */
export type ObjectLocation = Pick<ObjectRef, "bucket" | "key">;
