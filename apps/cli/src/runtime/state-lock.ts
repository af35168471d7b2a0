import { randomUUID } from "node:crypto";
import { link, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { SluiceError } from "@sluice/core";

/** Lock file of a state directory: the pid (and a token) of the runtime using it. */
export const LOCK_FILE = "runtime.pid";

/** Beside the lock: held for the few milliseconds it takes to remove a dead runtime's lock. */
const TAKEOVER_FILE = `${LOCK_FILE}.takeover`;

/** How long a runtime waits before looking again while another one removes a dead runtime's lock. */
const TAKEOVER_WAIT_MS = 10;

/** Enough rounds for any number of runtimes starting together; each round some runtime makes progress. */
const MAX_ROUNDS = 1000;

/** Another runtime (in this process or another) holds the state directory. */
export class StateDirectoryInUseError extends SluiceError {
  readonly disposition = "retry" as const;
  /** The state directory. */
  readonly stateDir: string;
  /** The pid of the runtime holding it. */
  readonly pid: number;

  constructor(
    stateDir: string,
    pid: number,
    message = `another sluice runtime (pid ${pid}) is using ${stateDir}: stop it, or pass --state-dir`,
  ) {
    super("state-directory-in-use", message, { stateDir, pid });
    this.stateDir = stateDir;
    this.pid = pid;
  }
}

/** A held state-directory lock. */
export interface StateLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file, if it is still this lock's. */
  release(): Promise<void>;
}

/**
 * The lock files this process wrote (or is writing): a lock naming this pid is live only when
 * its content is one of these. Another one naming this pid was left by a dead process whose pid
 * came back, and is stale.
 */
const ownedHere = new Set<string>();

interface LockHolder {
  pid: number;
  /** The whole file, which is unique to one taking of the lock. */
  content: string;
}

/**
 * Takes `stateDir`'s lock, or throws {@link StateDirectoryInUseError} when a live runtime holds it.
 *
 * The lock file appears whole or not at all: it is written beside its place, then hard-linked
 * there — an exclusive create like `open(path, "wx")` (it fails when the file exists) that never
 * shows a half-written pid — so of several runtimes starting together exactly one gets it. A
 * lock whose pid is dead is removed under the takeover file (taken the same way), and only when
 * it still holds what was read as dead: two runtimes cannot both remove a lock and then both
 * take it. (A runtime killed inside that critical section leaves a takeover file of a dead pid;
 * the next start removes it.)
 */
export async function takeStateLock(stateDir: string): Promise<StateLock> {
  const dir = resolve(stateDir);
  const path = join(dir, LOCK_FILE);
  await mkdir(dir, { recursive: true });
  const content = `${process.pid}\n${randomUUID()}\n`;
  ownedHere.add(content);
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      if (await createExclusive(path, content)) return heldLock(path, content);
      const holder = await readHolder(path);
      if (holder === undefined) continue; // released meanwhile
      if (isLive(holder)) throw new StateDirectoryInUseError(dir, holder.pid);
      await removeDeadLock(path, holder, content);
    }
    throw new StateDirectoryInUseError(dir, 0, `could not take the lock of ${dir}: it keeps changing`);
  } catch (error) {
    ownedHere.delete(content);
    throw error;
  }
}

/** The pid of a live runtime holding `stateDir`, if any (this process's own runtimes included). */
export async function runtimeHolding(stateDir: string): Promise<number | undefined> {
  const holder = await readHolder(join(resolve(stateDir), LOCK_FILE));
  return holder && isLive(holder) ? holder.pid : undefined;
}

function heldLock(path: string, content: string): StateLock {
  return {
    path,
    async release() {
      // Only this lock's own file: never one another runtime took after this one was declared dead.
      if ((await readHolder(path))?.content === content) await rm(path, { force: true });
      ownedHere.delete(content);
    },
  };
}

/** Removes the lock `dead` read as dead, under the takeover file, if it still holds that. */
async function removeDeadLock(path: string, dead: LockHolder, content: string): Promise<void> {
  const takeover = join(dirname(path), TAKEOVER_FILE);
  if (!(await createExclusive(takeover, content))) {
    const other = await readHolder(takeover);
    if (other && !isLive(other)) await rm(takeover, { force: true });
    else await new Promise((done) => setTimeout(done, TAKEOVER_WAIT_MS));
    return;
  }
  try {
    if ((await readHolder(path))?.content === dead.content) await rm(path, { force: true });
  } finally {
    await rm(takeover, { force: true });
  }
}

/** Creates `path` holding `content` unless it exists: true when this call created it. */
async function createExclusive(path: string, content: string): Promise<boolean> {
  const draft = `${path}.${randomUUID()}.draft`;
  await writeFile(draft, content, { flag: "wx" });
  try {
    await link(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    await rm(draft, { force: true });
  }
}

async function readHolder(path: string): Promise<LockHolder | undefined> {
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  // The first line is the pid (a lock written before the token was added holds only that).
  const pid = Number(content.split("\n", 1)[0]!.trim());
  return { pid: Number.isInteger(pid) && pid > 0 ? pid : 0, content };
}

function isLive(holder: LockHolder): boolean {
  if (holder.pid === 0) return false;
  if (holder.pid === process.pid) return ownedHere.has(holder.content);
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
