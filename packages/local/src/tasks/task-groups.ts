import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { uptime } from "node:os";
import { join } from "node:path";
import { LOCAL_ENV } from "../state-layout";

/**
 * Task side: records process group `pgid` (a program the task started in a group of its own)
 * in the directory the runtime gave the task (`SLUICE_LOCAL_TASK_GROUPS_DIR`), so the runtime
 * ends it with the task even when the task is killed before it could. Synchronous, so the
 * record exists as soon as the program does. Returns the release to call once the group ended
 * (a group id is not kept after its processes are gone: the id could be reused).
 */
export function adoptProcessGroup(groupsDir: string, pgid: number): () => void {
  mkdirSync(groupsDir, { recursive: true });
  const file = join(groupsDir, String(pgid));
  writeFileSync(file, "");
  return () => rmSync(file, { force: true });
}

/** The process groups of one task: its own (the task process leads it) and those it recorded. */
export interface TaskGroups {
  /** The task process's pid, which is its group's id (tasks are spawned detached). */
  pid: number;
  /** The directory of groups the task recorded ({@link adoptProcessGroup}). */
  groupsDir: string;
}

/**
 * Ends with SIGKILL every process left of a task that has exited, as a container's processes end
 * with it: its own group, then each group it recorded. Then forgets the record.
 */
export async function endTaskGroups({ pid, groupsDir }: TaskGroups): Promise<void> {
  killGroup(pid);
  for (const pgid of await recordedGroups(groupsDir))
    if (await isTaskProcess(pgid, groupsDir)) killGroup(pgid);
  await rm(groupsDir, { recursive: true, force: true });
}

/**
 * Ends what is left of a task an earlier runtime started (that runtime was killed: the task,
 * in a session of its own, may still run) before the task is started again. Only processes that
 * can be this task's are signalled: started since the machine booted and, where `/proc` tells,
 * carrying the task's groups directory in their environment; a reused process id is left alone.
 */
export async function endOrphanedTask(groups: TaskGroups, spawnedAt: number | undefined): Promise<void> {
  const bootedAt = Date.now() - uptime() * 1000;
  if (spawnedAt !== undefined && spawnedAt > bootedAt) {
    for (const pgid of [groups.pid, ...(await recordedGroups(groups.groupsDir))])
      if (await isTaskProcess(pgid, groups.groupsDir)) killGroup(pgid);
  }
  await rm(groups.groupsDir, { recursive: true, force: true });
}

async function recordedGroups(groupsDir: string): Promise<number[]> {
  try {
    return (await readdir(groupsDir)).map(Number).filter((pgid) => Number.isInteger(pgid) && pgid > 1);
  } catch {
    return [];
  }
}

/** Whether `pid` is a process of the task whose groups directory is `groupsDir`, as far as can be told. */
async function isTaskProcess(pid: number, groupsDir: string): Promise<boolean> {
  try {
    const environ = await readFile(`/proc/${pid}/environ`, "utf8");
    return environ.split("\0").includes(`${LOCAL_ENV.taskGroupsDir}=${groupsDir}`);
  } catch (error) {
    // No /proc (macOS, Windows): trust the record. A process that is gone, or not ours: no.
    return (error as { code?: string }).code === "ENOENT" && !(await procExists());
  }
}

async function procExists(): Promise<boolean> {
  try {
    await readdir("/proc/self");
    return true;
  } catch {
    return false;
  }
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // Gone already.
  }
}
