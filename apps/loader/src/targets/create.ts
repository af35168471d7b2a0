import { PGlite } from "@electric-sql/pglite";
import type { LoadTarget } from "@sluice/core";
import { Pool, type PoolConfig } from "pg";
import { isServerUrl } from "../database";
import { DEFAULT_CONNECT_TIMEOUT_MS, PgLoadTarget } from "./pg";
import { PgliteLoadTarget, type PgliteLoadTargetOptions } from "./pglite";

/** Options of {@link createLoadTarget}. */
export interface CreateLoadTargetOptions {
  /**
   * Extra `pg` pool settings for a `postgres://` URL (pool size, SSL, timeouts); the connect
   * timeout is {@link DEFAULT_CONNECT_TIMEOUT_MS} unless `connectionTimeoutMillis` says otherwise.
   */
  pool?: Omit<PoolConfig, "connectionString">;
  pglite?: Partial<PgliteLoadTargetOptions>;
  /** Told when an idle pooled `pg` connection dies (the pool replaces it). */
  onIdleError?: (error: Error) => void;
}

/**
 * The load target a URL names: `postgres://…` (or `postgresql://…`) is a real server reached
 * through a `pg` pool; `memory://` is an in-memory PGlite; anything else is a PGlite data
 * directory (created when missing).
 */
export function createLoadTarget(url: string, options: CreateLoadTargetOptions = {}): LoadTarget {
  if (isServerUrl(url)) {
    const pool = new Pool({
      connectionTimeoutMillis: DEFAULT_CONNECT_TIMEOUT_MS,
      ...options.pool,
      connectionString: url,
    });
    return new PgLoadTarget(pool, options.onIdleError ? { onIdleError: options.onIdleError } : {});
  }
  const dataDir = url === "memory://" ? undefined : url.replace(/^file:\/\//i, "");
  return new PgliteLoadTarget(new PGlite(dataDir), options.pglite);
}
