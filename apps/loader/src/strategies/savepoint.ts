import type { SqlSession } from "@sluice/core";
import { CARDINALITY_VIOLATION, isRowRefusal, sqlStateOf } from "../refusals";

/** What work under a savepoint came to: its value, or the refusal it was rolled back for. */
export type SavepointAttempt<T> = { refused: false; value: T } | { refused: true; error: unknown };

/**
 * Runs `work` under a savepoint: its value, or — when Postgres refused a row (`isRowRefusal`) —
 * the error, after rolling back to the savepoint so the transaction goes on as before. Any other
 * error propagates and fails the transaction.
 */
export async function underSavepoint<T>(
  session: SqlSession,
  savepoint: string,
  work: () => Promise<T>,
  isRefusal: (error: unknown) => boolean = isRowRefusal,
): Promise<SavepointAttempt<T>> {
  await session.query(`SAVEPOINT ${savepoint}`);
  try {
    const value = await work();
    await session.query(`RELEASE SAVEPOINT ${savepoint}`);
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
 */
export async function unlessRefused<T>(
  session: SqlSession,
  savepoint: string,
  attempt: () => Promise<T>,
): Promise<T | undefined> {
  const result = await underSavepoint(
    session,
    savepoint,
    attempt,
    (error) => isRowRefusal(error) || sqlStateOf(error) === CARDINALITY_VIOLATION,
  );
  return result.refused ? undefined : result.value;
}
