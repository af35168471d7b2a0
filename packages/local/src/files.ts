import { randomUUID } from "node:crypto";
import { appendFileSync, writeFileSync } from "node:fs";
import { copyFile, type FileHandle, mkdir, open, rename, rm, stat } from "node:fs/promises";
import { dirname, join, sep } from "node:path";

/**
 * How durable the local state's writes are. Every write is atomic either way (write-then-rename:
 * a crash leaves the old file or the new one); with `fsync` each write also reaches the disk
 * before it counts (file contents before the rename, the directory after it), so the state
 * survives a power cut, not only a killed process.
 */
export interface Durability {
  /** fsync files and directories as they are written. Default false. */
  fsync?: boolean;
}

/**
 * Writes `content` to `path` so a reader (or a restart after a crash) sees the old file or the
 * new one, never half of one: write a temporary file in `tmpDir` (same file system), then rename.
 * With `fsync`, the temporary file is synced before the rename and the directory after it.
 *
 * Without `fsync` the temporary file is written with one synchronous call: state files are
 * small, and through the thread pool that write is three round trips (open, write, close). The
 * rename stays in the pool: it is the costly call (the file system's journal), and it would
 * block the loop. Measured on the 2-core development machine for a 1 KB file: 150-160 µs of the
 * main thread, 400-425 µs of the process and 1.7-2.3 ms of wall time all through the pool;
 * 150-180 µs, 225-250 µs and 0.8-0.9 ms this way. With `fsync` both stay asynchronous: a sync
 * waits for the disk and would stall the loop.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Buffer,
  tmpDir: string,
  durability: Durability = {},
): Promise<void> {
  const tmp = join(tmpDir, `${randomUUID()}.tmp`);
  try {
    if (durability.fsync) {
      await inDir(tmpDir, durability, () => writeSynced(tmp, content, "w"));
      await renameDurable(tmp, path, { ...durability, fileSynced: true });
    } else {
      await inDir(tmpDir, durability, async () => writeFileSync(tmp, content));
      await inDir(dirname(path), durability, () => rename(tmp, path));
    }
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/**
 * Renames `from` to `path` (creating `path`'s directory): the commit of a write-then-rename.
 * With `fsync`, `from` is synced first (unless `fileSynced` says it already is) and the
 * directory after, so the rename itself survives a power cut.
 */
export async function renameDurable(
  from: string,
  path: string,
  durability: Durability & { fileSynced?: boolean } = {},
): Promise<void> {
  if (durability.fsync && !durability.fileSynced) await syncPath(from);
  await inDir(dirname(path), durability, () => rename(from, path));
  if (durability.fsync) await syncPath(dirname(path));
}

/** Appends `content` to `path` (creating its directory); with `fsync`, returns only once it is on disk. */
export async function appendFileDurable(
  path: string,
  content: string,
  durability: Durability = {},
): Promise<void> {
  // One synchronous append (open, write, close) instead of three round trips through the pool.
  if (!durability.fsync) return inDir(dirname(path), durability, async () => appendFileSync(path, content));
  const created = !(await exists(path));
  await inDir(dirname(path), durability, () => writeSynced(path, content, "a"));
  if (created) await syncPath(dirname(path));
}

/** Copies the file `from` to `path` (creating its directory), as the kernel copies it (`copyFile`). */
export function copyFileTo(from: string, path: string): Promise<void> {
  return inDir(dirname(path), {}, () => copyFile(from, path));
}

/** Opens `path` for writing, created or emptied (creating its directory), as {@link makeDir} does. */
export function openForWriting(path: string, durability: Durability = {}): Promise<FileHandle> {
  return inDir(dirname(path), durability, () => open(path, "w"));
}

/** Forgets what {@link makeDir} knows of `dir` and the directories below it: call after removing it. */
export function forgetDirs(dir: string): void {
  for (const known of knownDirs)
    if (known === dir || known.startsWith(`${dir}${sep}`)) knownDirs.delete(known);
}

/**
 * Creates `dir` and its missing parents; with `fsync`, syncs the directory that gained the
 * first new entry, so the new directories survive a power cut with what is written in them.
 * A directory this process made (or found) is remembered and not asked for again: every state
 * write names its directory, and asking costs two system calls each time. Code that removes a
 * directory does not tell: a write into one that is gone fails with `ENOENT`, and
 * {@link writeFileAtomic} and {@link renameDurable} then forget it, make it again and retry.
 */
export async function makeDir(dir: string, durability: Durability = {}): Promise<void> {
  if (knownDirs.has(dir)) return;
  const first = await mkdir(dir, { recursive: true });
  if (durability.fsync && first !== undefined) {
    // Each new directory's entry lives in its parent: sync the parents from `dir` up to `first`'s.
    for (let created = dir; ; created = dirname(created)) {
      await syncPath(dirname(created));
      if (created === first || dirname(created) === created) break;
    }
  }
  if (knownDirs.size >= KNOWN_DIRS_LIMIT) knownDirs.clear();
  knownDirs.add(dir);
}

/** Directories {@link makeDir} made or found in this process (bounded: a run id's folder is one each). */
const knownDirs = new Set<string>();
const KNOWN_DIRS_LIMIT = 10_000;

/**
 * Runs `write` (which puts an entry in `dir`) after {@link makeDir}; when it fails with `ENOENT`
 * and `dir` was only remembered, not just made, makes `dir` again and runs `write` once more.
 */
async function inDir<T>(dir: string, durability: Durability, write: () => Promise<T>): Promise<T> {
  const remembered = knownDirs.has(dir);
  await makeDir(dir, durability);
  try {
    return await write();
  } catch (error) {
    if (!remembered || !isFsError(error, "ENOENT")) throw error;
    knownDirs.delete(dir);
    await makeDir(dir, durability);
    return write();
  }
}

/** True when `error` is a Node.js file-system error with code `code` (e.g. `ENOENT`). */
export function isFsError(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}

async function writeSynced(path: string, content: string | Buffer, flags: "w" | "a"): Promise<void> {
  const handle = await open(path, flags);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsync of a file or a directory (a directory cannot be synced on Windows: skipped there). */
async function syncPath(path: string): Promise<void> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, "r");
  } catch (error) {
    if (process.platform === "win32" && (isFsError(error, "EISDIR") || isFsError(error, "EPERM"))) return;
    throw error;
  }
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (isFsError(error, "ENOENT")) return false;
    throw error;
  }
}
