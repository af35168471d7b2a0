import type { SqlSession } from "@sluice/core";

/** SQLSTATE of a unique violation (a key the table or the file already holds). */
const UNIQUE_VIOLATION = "23505";

/**
 * Runs `attempt` under a savepoint: its result, or `undefined` after rolling back to the
 * savepoint when it hit a unique violation (a key the table or the file already holds). Any
 * other error propagates and fails the transaction.
 */
export async function unlessKeyExists<T>(
  session: SqlSession,
  savepoint: string,
  attempt: () => Promise<T>,
): Promise<T | undefined> {
  await session.query(`SAVEPOINT ${savepoint}`);
  try {
    const result = await attempt();
    await session.query(`RELEASE SAVEPOINT ${savepoint}`);
    return result;
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await session.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    return undefined;
  }
}
