import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { LoadTarget, QueryResult, SqlSession } from "@sluice/core";
import type { Pool, PoolClient } from "pg";
import { from as copyFromStdin } from "pg-copy-streams";

/**
 * A {@link LoadTarget} over a node-postgres `Pool`: each transaction checks out one client,
 * and `copyFrom` streams through `pg-copy-streams`, so memory stays bounded whatever the size.
 */
export class PgLoadTarget implements LoadTarget {
  readonly #pool: Pool;

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
  }

  async transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(sessionOf(client));
      await client.query("COMMIT");
      client.release();
      return result;
    } catch (error) {
      // A failed COPY or a broken socket can leave the connection in any state: roll back if it
      // answers, then discard it rather than hand a doubtful connection to the next load.
      await client.query("ROLLBACK").catch(() => undefined);
      client.release(true);
      throw error;
    }
  }

  async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.#pool.query(text, params);
    return { rows: result.rows as Row[], rowCount: result.rowCount ?? 0 };
  }

  async close(): Promise<void> {
    await this.#pool.end();
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
