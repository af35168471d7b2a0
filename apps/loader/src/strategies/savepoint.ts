import type { SqlSession } from "@sluice/core";
import { CARDINALITY_VIOLATION, isRowRefusal, sqlStateOf } from "../refusals";

/** What work under a savepoint came to: its value, or the refusal it was rolled back for. */
export type SavepointAttempt<T> = { refused: false; value: T } | { refused: true; error: unknown };

/** How {@link underSavepoint} treats an error and a success. */
export interface SavepointOptions {
  /** The errors rolled back to the savepoint instead of failing the transaction; {@link isRowRefusal} by default. */
  isRefusal?: (error: unknown) => boolean;
  /**
   * Leave the savepoint in place when `work` succeeds instead of releasing it: for work that is
   * the load's last use of the savepoint, where `RELEASE` would cost a round trip and change
   * nothing (the savepoint ends with the transaction, as one rolled back to does).
   */
  keepOnSuccess?: boolean;
}

/**
 * Runs `work` under a savepoint: its value, or — when Postgres refused a row (`isRowRefusal`) —
 * the error, after rolling back to the savepoint so the transaction goes on as before. Any other
 * error propagates and fails the transaction.
 */
export async function underSavepoint<T>(
  session: SqlSession,
  savepoint: string,
  work: () => Promise<T>,
  options: SavepointOptions = {},
): Promise<SavepointAttempt<T>> {
  const isRefusal = options.isRefusal ?? isRowRefusal;
  await session.query(`SAVEPOINT ${savepoint}`);
  try {
    const value = await work();
    if (!options.keepOnSuccess) await session.query(`RELEASE SAVEPOINT ${savepoint}`);
    return { refused: false, value };
  } catch (error) {
    if (!isRefusal(error)) throw error;
    await session.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    return { refused: true, error };
  }
}

/**
 * Runs a fast way in under a savepoint: its result, or `undefined` after rolling back when a row
 * stopped it — a key the table or the file already holds, a key met twice by one upsert, a value
 * or constraint the table refused. The next, slower strategy then sorts the rows out one by one.
 *
 * A result is the run's rows all in: no strategy follows, so the savepoint is not released
 * (`keepOnSuccess`; a later `ROLLBACK TO` an enclosing savepoint, as `replace` does for an
 * older snapshot, still undoes it).
 */
export async function unlessRefused<T>(
  session: SqlSession,
  savepoint: string,
  attempt: () => Promise<T>,
): Promise<T | undefined> {
  const result = await underSavepoint(session, savepoint, attempt, {
    isRefusal: (error) => isRowRefusal(error) || sqlStateOf(error) === CARDINALITY_VIOLATION,
    keepOnSuccess: true,
  });
  return result.refused ? undefined : result.value;
}
