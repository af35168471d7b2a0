import { RetryableError } from "./errors";

/**
 * Node.js socket error codes (`errno` names) that mean the network or the peer failed, not the
 * request: the same call may succeed once the other side is back.
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
]);

/** What each network code means for a database connection, as people read it. */
const NETWORK_REASONS: Readonly<Record<string, string>> = {
  ECONNREFUSED: "connection refused",
  ECONNRESET: "connection reset",
  ECONNABORTED: "connection aborted",
  EPIPE: "connection closed while writing",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
};

/**
 * SQLSTATEs (outside class 08) of a server that is going away or not taking connections yet
 * (PostgreSQL Appendix A): the server, not the statement, is at fault.
 */
const SERVER_GONE_REASONS: Readonly<Record<string, string>> = {
  "57P01": "the server was shut down (admin_shutdown)",
  "57P02": "the server crashed (crash_shutdown)",
  "57P03": "the server is starting up or shutting down (cannot_connect_now)",
  "57P05": "the connection was idle too long (idle_session_timeout)",
  "53300": "the server has too many connections (too_many_connections)",
};

/** The fields of a socket or database error that classification reads (never its message). */
interface ErrorShape {
  code?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * Why a database connection failed, when `error` (or an error it wraps: `cause`, or one of an
 * `AggregateError`'s `errors`, as Node reports a connect that tried several addresses) is a
 * connection failure by its code: a socket error (`ECONNREFUSED`, `ECONNRESET`, …), SQLSTATE
 * class 08 (connection exception), or a server going away (`57P01` admin_shutdown, `57P03`
 * cannot_connect_now, …). `undefined` for anything else: a statement the server refused is not a
 * connection failure. Decided by code only, never by message text.
 */
export function connectionFailureReason(error: unknown, depth = 0): string | undefined {
  if (typeof error !== "object" || error === null || depth > 5) return undefined;
  const { code, cause, errors } = error as ErrorShape;
  if (typeof code === "string") {
    const reason = NETWORK_REASONS[code] ?? SERVER_GONE_REASONS[code];
    if (reason) return reason;
    if (/^08[0-9A-Z]{3}$/.test(code)) return `connection failure (SQLSTATE ${code})`;
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const reason = connectionFailureReason(inner, depth + 1);
    if (reason) return reason;
  }
  return undefined;
}

/**
 * The database could not be reached or went away mid-statement (refused, reset, shut down,
 * starting up). Retried: the same load succeeds once the server is back, and the load ledger
 * makes a retry of a transaction whose COMMIT went unanswered a no-op. The message reads
 * `database unavailable: <reason>`, e.g. `database unavailable: connection refused`.
 */
export class DatabaseUnavailableError extends RetryableError {
  /** What failed, as people read it (`connection refused`, `connection lost`, …). */
  readonly reason: string;

  constructor(reason: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super("database-unavailable", `database unavailable: ${reason}`, { reason, ...context }, options);
    this.reason = reason;
  }
}

/**
 * `error` as a {@link DatabaseUnavailableError} when it is a connection failure by its code
 * ({@link connectionFailureReason}), keeping it as `cause`; `undefined` otherwise.
 */
export function asDatabaseUnavailable(error: unknown): DatabaseUnavailableError | undefined {
  if (error instanceof DatabaseUnavailableError) return error;
  const reason = connectionFailureReason(error);
  return reason === undefined ? undefined : new DatabaseUnavailableError(reason, {}, { cause: error });
}
