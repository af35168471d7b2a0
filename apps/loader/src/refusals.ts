import type { Rejection } from "@sluice/core";

/** The fields of a Postgres error (node-postgres and PGlite both raise them) a refusal reads. */
interface PostgresErrorFields {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  column?: unknown;
  constraint?: unknown;
}

/**
 * SQLSTATEs by which the table refuses a row for what it holds, not for the state of the
 * connection or the server:
 * - class 22, data exception: a value the column's type or size refuses (`22001` too long,
 *   `22003` out of range, `22P02` bad input, `22008` date/time overflow, `22021` encoding…);
 * - class 23, integrity constraint violation: NOT NULL, CHECK, UNIQUE, FOREIGN KEY, EXCLUDE;
 * - `P0001` (`RAISE EXCEPTION` in a trigger of the user's) and `P0004` (a failed `ASSERT` in one).
 * Everything else (connection loss, serialization failure, deadlock, lock or statement timeout,
 * out of memory, a missing table) is not the row's fault: it fails the load, to be retried.
 */
const REFUSAL_CLASSES = new Set(["22", "23"]);
const REFUSAL_CODES = new Set(["P0001", "P0004"]);

/** SQLSTATE of a unique violation: a key the table, or the file, already holds. */
export const UNIQUE_VIOLATION = "23505";

/** SQLSTATE of `ON CONFLICT DO UPDATE` meeting one key twice in its input: a key repeated within the file. */
export const CARDINALITY_VIOLATION = "21000";

/** The SQLSTATE of a thrown value, when it is a Postgres error. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = (error as PostgresErrorFields | null)?.code;
  return typeof code === "string" && code.length === 5 ? code : undefined;
}

/** True when Postgres refused a row for its content (see {@link REFUSAL_CLASSES}), so that row alone can be rejected. */
export function isRowRefusal(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code !== undefined && (REFUSAL_CLASSES.has(code.slice(0, 2)) || REFUSAL_CODES.has(code));
}

/**
 * The rejection of the row at `line` that Postgres refused with `error`: Postgres's message (and
 * its detail, e.g. `Key (email)=(a@b) already exists.`) as the reason, and as the field the
 * column it names, else the constraint, else `(row)`.
 */
export function rejectionOf(error: unknown, line: number): Rejection {
  const fields = (error ?? {}) as PostgresErrorFields;
  const message = typeof fields.message === "string" ? fields.message : String(error);
  const detail = typeof fields.detail === "string" && fields.detail !== "" ? ` (${fields.detail})` : "";
  const column = typeof fields.column === "string" && fields.column !== "" ? fields.column : undefined;
  const constraint =
    typeof fields.constraint === "string" && fields.constraint !== "" ? fields.constraint : undefined;
  return {
    line,
    field: column ?? constraint ?? "(row)",
    reason: `refused by the table: ${message}${detail}`,
  };
}
