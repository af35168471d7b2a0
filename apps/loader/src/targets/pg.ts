import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  asDatabaseUnavailable,
  connectionFailureReason,
  DatabaseUnavailableError,
  type LoadTarget,
  type QueryResult,
  type SqlSession,
} from "@sluice/core";
import { DatabaseError, type Pool, type PoolClient } from "pg";
import { from as copyFromStdin } from "pg-copy-streams";

/**
 * How long opening a connection may take before the database counts as unavailable (`pg`'s
 * `connectionTimeoutMillis`, which is unlimited by default): a server that does not answer at all
 * (a network partition, a failover in progress) fails the load for a retry within seconds instead
 * of holding it until the function's own timeout. Pools of {@link createLoadTarget} and
 * `poolConfigFromEnv` start from it; their `pool` options override it.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * A {@link LoadTarget} over a node-postgres `Pool`: each transaction checks out one client,
 * and `copyFrom` streams through `pg-copy-streams`, so memory stays bounded whatever the size.
 *
 * A database that goes away is an error, never a crash: every client of the pool has an `error`
 * listener for its whole life (pg-pool listens only while a client is idle, so without one a
 * connection lost mid-COPY is an unhandled `error` event that ends the process), and a failure
 * caused by a lost or refused connection is thrown as core's {@link DatabaseUnavailableError}
 * (retried), decided by error codes and by the connection's own `error` event, never by message
 * text. A broken connection is discarded; the next transaction opens a new one, and a transaction
 * whose BEGIN finds its pooled connection dead opens a new one at once.
 */
export class PgLoadTarget implements LoadTarget {
  readonly #pool: Pool;
  /** The error each connection reported when it broke (dropped with the client). */
  readonly #broken = new WeakMap<PoolClient, Error>();

  /**
   * @param pool The pool to check clients out of; {@link close} ends it.
   * @param options.onIdleError Told when an idle pooled connection dies (server restart, RDS
   *   failover, an administrator's terminate). The pool drops that connection by itself; without
   *   a listener node-postgres would re-emit the error and crash the process.
   */
  constructor(pool: Pool, options: { onIdleError?: (error: Error) => void } = {}) {
    this.#pool = pool;
    const onIdleError = options.onIdleError ?? (() => undefined);
    pool.on("error", (error) => onIdleError(error));
    pool.on("connect", (client) => {
      client.on("error", (error: Error) => this.#broken.set(client, error));
    });
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.#begin();
    try {
      const result = await work(sessionOf(client));
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      // A failed COPY or a broken socket can leave the connection in any state: roll back if it
      // answers, then discard it rather than hand a doubtful connection to the next load.
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(true);
      throw this.#classified(client, error);
    }
  }

  async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const client = await this.#checkout();
    try {
      const result = await client.query(text, params);
      client.release();
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      client.release(true);
      throw this.#classified(client, error);
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }

  /**
   * A client with a transaction begun. A pooled connection can die unnoticed while idle (a Lambda
   * frozen between invocations, a server restart, an idle timeout): when BEGIN finds it dead, a
   * new connection is opened once, since nothing was done yet. A second failure is thrown.
   */
  async #begin(): Promise<PoolClient> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#checkout();
      try {
        await client.query("BEGIN");
        return client;
      } catch (error) {
        client.release(true);
        const classified = this.#classified(client, error);
        if (attempt > 1 || !(classified instanceof DatabaseUnavailableError)) throw classified;
      }
    }
  }

  /**
   * A client from the pool. A connection that cannot be made is the database being unavailable,
   * unless the server answered with a refusal of its own (a wrong password, no such database):
   * that error is thrown as it is.
   */
  async #checkout(): Promise<PoolClient> {
    try {
      const client = await this.#pool.connect();
      this.#broken.delete(client);
      return client;
    } catch (error) {
      const unavailable = asDatabaseUnavailable(error);
      if (unavailable) throw unavailable;
      if (error instanceof DatabaseError) throw error;
      throw new DatabaseUnavailableError("could not connect", {}, { cause: error });
    }
  }

  /**
   * `error` as the transaction's caller should see it: a {@link DatabaseUnavailableError} when
   * it is a connection failure by its code, or when the client's connection broke during the
   * work (whatever a statement or stream then threw); otherwise `error` itself.
   */
  #classified(client: PoolClient, error: unknown): unknown {
    const unavailable = asDatabaseUnavailable(error);
    if (unavailable) return unavailable;
    const broken = this.#broken.get(client);
    if (!broken) return error;
    return new DatabaseUnavailableError(
      connectionFailureReason(broken) ?? "connection lost",
      {},
      { cause: broken },
    );
  }
}

function sessionOf(client: PoolClient): SqlSession {
  return {
    async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
      const result = await client.query(text, params);
      return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
    },
    async copyFrom(copySql: string, source: Readable): Promise<number> {
      const stream = client.query(copyFromStdin(copySql));
      await pipeline(source, stream);
      return stream.rowCount;
    },
  };
}
