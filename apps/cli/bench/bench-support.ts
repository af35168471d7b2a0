/** What the CLI's benches share: fresh Postgres databases, and when a run's events were published. */
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
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

/** Linux's clock ticks per second, the unit of `/proc/<pid>/stat`'s CPU times. */
const CLOCK_TICKS = 100;

/**
 * CPU seconds the Postgres server at `serverUrl` has used so far, when it runs on this machine
 * (undefined otherwise): its postmaster's own and reaped children's (`/proc/<pid>/stat` fields 14-17,
 * so the backends of connections closed meanwhile count) plus its live children's. Read before and
 * after a run, the difference is what the server spent on it. A backend reaped between the two
 * reads of one sum would count in neither, so the sum is read until two reads 100 ms apart agree.
 */
export async function serverCpuSeconds(serverUrl: string): Promise<number | undefined> {
  const postmaster = await postmasterPid(serverUrl);
  if (postmaster === undefined) return undefined;
  let last = await processTreeCpuSeconds(postmaster);
  for (let i = 0; i < 20 && last !== undefined; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await processTreeCpuSeconds(postmaster);
    if (now === undefined || Math.abs(now - last) < 0.05) return now;
    last = now;
  }
  return last;
}

/** The pid of the server's postmaster, from its data directory's `postmaster.pid`; undefined when not readable here. */
async function postmasterPid(serverUrl: string): Promise<number | undefined> {
  const admin = createLoadTarget(serverUrl);
  try {
    const { data_directory } = (await admin.query<{ data_directory: string }>("SHOW data_directory"))
      .rows[0]!;
    return Number((await readFile(join(data_directory, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return undefined;
  } finally {
    await admin.close();
  }
}

/** CPU seconds of process `pid` (its own and its reaped children's) and of its live children. */
async function processTreeCpuSeconds(pid: number): Promise<number | undefined> {
  const fields = async (of: string | number) => {
    const stat = await readFile(`/proc/${of}/stat`, "utf8");
    // The fields after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  };
  try {
    // stat fields from the state (3rd): ppid is [1], utime [11], stime [12], cutime [13], cstime [14].
    const own = await fields(pid);
    let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
    for (const other of await readdir("/proc")) {
      if (!/^\d+$/.test(other) || Number(other) === pid) continue;
      const child = await fields(other).catch(() => undefined);
      if (child && Number(child[1]) === pid) ticks += Number(child[11]) + Number(child[12]);
    }
    return ticks / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
