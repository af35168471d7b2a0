import type { Readable } from "node:stream";
import type { PGlite, Transaction } from "@electric-sql/pglite";
import type { LoadTarget, QueryResult, SqlSession } from "@sluice/core";
import { RecordBoundaryScanner } from "./csv-records";

/** Tuning of {@link PgliteLoadTarget}. */
export interface PgliteLoadTargetOptions {
  /**
   * Largest piece of COPY input handed to PGlite at once (bytes). PGlite reads COPY input from
   * a Blob (`FROM '/dev/blob'`), not a stream, so the input is cut at record boundaries into
   * pieces of about this size, each copied by its own `COPY` in the same transaction: memory
   * stays near this bound (plus one record) instead of the whole file.
   */
  copyChunkBytes: number;
}

/** Default {@link PgliteLoadTargetOptions}. */
export const DEFAULT_PGLITE_OPTIONS: PgliteLoadTargetOptions = { copyChunkBytes: 16 * 1024 * 1024 };

/**
 * A {@link LoadTarget} over the embedded PGlite (WASM Postgres): the local default. PGlite is
 * one connection, so transactions run one at a time (PGlite queues them).
 */
export class PgliteLoadTarget implements LoadTarget {
  readonly #db: PGlite;
  readonly #options: PgliteLoadTargetOptions;

  /** @param db The database; {@link close} closes it. */
  constructor(db: PGlite, options: Partial<PgliteLoadTargetOptions> = {}) {
    this.#db = db;
    this.#options = { ...DEFAULT_PGLITE_OPTIONS, ...options };
  }

  /** The PGlite database, for tools (and tests) that need it directly. */
  get db(): PGlite {
    return this.#db;
  }

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.#db.transaction((tx) => work(sessionOf(tx, this.#options)));
  }

  async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    const result = await this.#db.query<Row>(text, params);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }

  async close(): Promise<void> {
    if (!this.#db.closed) await this.#db.close();
  }
}

/** `COPY … FROM STDIN …` rewritten to read PGlite's blob device. */
export function toBlobCopy(copySql: string): string {
  const at = copySql.toUpperCase().lastIndexOf("FROM STDIN");
  if (at < 0) throw new TypeError(`not a COPY … FROM STDIN statement: ${copySql}`);
  return `${copySql.slice(0, at)}FROM '/dev/blob'${copySql.slice(at + "FROM STDIN".length)}`;
}

function sessionOf(tx: Transaction, options: PgliteLoadTargetOptions): SqlSession {
  return {
    async query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
      const result = await tx.query<Row>(text, params);
      return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
    },
    async copyFrom(copySql: string, source: Readable): Promise<number> {
      const sql = toBlobCopy(copySql);
      const scanner = new RecordBoundaryScanner({
        csv: /FORMAT\s+csv/i.test(sql.slice(sql.lastIndexOf("'/dev/blob'"))),
      });
      let rows = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const copy = async (parts: Buffer[]) => {
        const result = await tx.query(sql, [], { blob: new Blob(parts) });
        rows += result.affectedRows ?? 0;
      };
      for await (const data of source) {
        const chunk: Buffer = Buffer.isBuffer(data) ? data : Buffer.from(data);
        const boundary = scanner.scan(chunk);
        if (boundary < 0 || pendingBytes + boundary < options.copyChunkBytes) {
          pending.push(chunk);
          pendingBytes += chunk.length;
          continue;
        }
        pending.push(chunk.subarray(0, boundary));
        await copy(pending);
        const rest = chunk.subarray(boundary);
        pending = rest.length > 0 ? [rest] : [];
        pendingBytes = rest.length;
      }
      if (pendingBytes > 0) await copy(pending);
      return rows;
    },
  };
}
