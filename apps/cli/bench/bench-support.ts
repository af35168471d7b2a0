/** What the CLI's benches share: fresh Postgres databases, and when a run's events were published. */
import { createLoadTarget } from "@sluice/loader";
import { EventJournal, localStateLayout } from "@sluice/local";

/** Creates database `name` on the server at `serverUrl` (dropping an old one); resolves with its URL. */
export async function freshDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = createLoadTarget(serverUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Drops database `name` on the server at `serverUrl`. */
export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = createLoadTarget(serverUrl);
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.close();
  }
}

/** Runs `work` on a fresh database `name`, dropped after. */
export async function withDatabase<T>(
  serverUrl: string,
  name: string,
  work: (url: string) => Promise<T>,
): Promise<T> {
  const url = await freshDatabase(serverUrl, name);
  try {
    return await work(url);
  } finally {
    await dropDatabase(serverUrl, name);
  }
}

/**
 * When the first event of each type was published in the state directory's journal (epoch ms);
 * `at(type)` throws when there is none: the file did not go through.
 */
export async function eventTimes(stateDir: string) {
  const entries = await new EventJournal(localStateLayout(stateDir).journalFile).readAll();
  return {
    entries,
    at(type: string): number {
      const entry = entries.find((e) => e.event.type === type);
      if (!entry) throw new Error(`no ${type} event: the file did not go through`);
      return Date.parse(entry.event.time);
    },
  };
}
