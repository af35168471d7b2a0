import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  ENV,
  parseEvent,
  type SluiceEvent,
  type TaskLauncher,
  type TaskLaunchRequest,
  type TaskLaunchResult,
} from "@sluice/core";
import { type Clock, systemClock } from "../clock";
import { type Durability, isFsError, writeFileAtomic } from "../files";
import { encodeKeySegment } from "../object-store/key-paths";
import { LOCAL_ENV } from "../state-layout";
import { endOrphanedTask, endTaskGroups, type TaskGroups } from "./task-groups";

/** One line a task wrote. */
export interface TaskOutputLine {
  runId: string;
  taskId: string;
  stream: "stdout" | "stderr";
  line: string;
}

/** How a task ended. */
export interface TaskExit {
  runId: string;
  taskId: string;
  event: SluiceEvent<"sluice.object.received">;
  /** Which attempt at its run the task was (`TaskLaunchRequest.attempt`). */
  attempt: number;
  /** When this task was started (ISO time): events its run got before are not this task's. */
  startedAt: string;
  /** Exit code, or `null` when a signal ended it (or it could not start). */
  exitCode: number | null;
  /** The signal that ended it: the runner's own when `interrupted`, else one from outside (killed). */
  signal: NodeJS.Signals | null;
  /** True when the runner stopped it (shutdown): it is started again by {@link LocalTaskRunner.resumeInterrupted}. */
  interrupted: boolean;
  /** The last lines it wrote to stderr. */
  stderrTail: string;
}

/** Options of {@link LocalTaskRunner}. */
export interface LocalTaskRunnerOptions {
  /** Program to run: the container's entrypoint interpreter (default: this Node.js). */
  command?: string;
  /** Its arguments, e.g. `["apps/legacy-wrapper/dist/entrypoint.mjs"]`. */
  args: readonly string[];
  /** The task definition's environment (core `ENV` names), as the infrastructure sets it on the container. */
  environment: Readonly<Record<string, string>>;
  /** Where a record of each started, unfinished task is kept, so a restart starts it again. */
  tasksDir: string;
  /** Variables of this process a task inherits (what the container image would provide). */
  inheritEnv?: readonly string[];
  /** After SIGTERM, how long a task has to exit before SIGKILL (ECS `stopTimeout`). */
  stopTimeoutMs?: number;
  /** Lines of stderr kept for {@link TaskExit.stderrTail}. */
  stderrTailLines?: number;
  cwd?: string;
  /** Receives every line the task writes (default: discarded). */
  onOutput?: (line: TaskOutputLine) => void;
  /** Called when a task ends. */
  onExit?: (exit: TaskExit) => void;
  /** What the stop timeout and start times are measured by (default {@link systemClock}). */
  clock?: Clock;
  /** fsync task records as they are written (see `Durability`). Default false. */
  fsync?: boolean;
  /**
   * Where each task gets a temporary directory of its own, its `TMPDIR` (a container's ephemeral
   * storage), removed when the task ends however it ends. Default: this process's `os.tmpdir()`.
   */
  scratchRoot?: string;
}

/** Defaults of {@link LocalTaskRunnerOptions}. */
export const DEFAULT_TASK_RUNNER_SETTINGS = {
  inheritEnv: ["PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "SYSTEMROOT"],
  stopTimeoutMs: 30_000,
  stderrTailLines: 20,
} as const;

/** What is kept on disk for a started task. */
interface TaskRecord {
  runId: string;
  taskId: string;
  startedAt: string;
  event: SluiceEvent<"sluice.object.received">;
  /** Which attempt at its run the task is; absent in records of earlier versions (1). */
  attempt?: number;
  /** The task process (the leader of its process group); absent in records of earlier versions. */
  pid?: number;
  /** Wall-clock epoch ms of the spawn: a pid recorded before the machine booted is someone else's now. */
  spawnedAt?: number;
  /** The task's temporary directory (its `TMPDIR`); absent in records of earlier versions. */
  scratchDir?: string;
}

interface RunningTask {
  record: TaskRecord;
  child: ChildProcess;
  exited: Promise<void>;
  /** Set when {@link LocalTaskRunner.stop} stops it: its exit is an interruption, not a death. */
  stopRequested: boolean;
}

/**
 * The {@link TaskLauncher} port over child processes: the local stand-in for ECS RunTask.
 * Each launch spawns the legacy wrapper's entrypoint with the environment ECS would give the
 * container (the task definition's variables plus `ENV.taskEvent` = the event JSON, and
 * `ENV.taskAttempt` for a retry, as the RunTask container override does), streams its output line by line, and is idempotent per
 * run id: launching a run that is still running starts nothing and says `alreadyRunning`.
 *
 * A task is recorded in `tasksDir` when started and the record removed when it exits; a task
 * stopped by {@link stop} (Ctrl-C) keeps its record and is started again by
 * {@link resumeInterrupted}, as is one whose runtime was killed or whose launch was deferred
 * ({@link deferLaunch}), so no received object is forgotten. A task killed by a signal from outside is reported (`signal`, not `interrupted`)
 * and forgotten: what it was doing failed. Tasks get their own process group (and session), so
 * a terminal's Ctrl-C reaches the runtime, which then stops them with SIGTERM as Fargate would.
 * Whatever a task leaves running when it ends — its own group, and the groups it recorded in
 * `<tasksDir>/<runId>.groups/` (`SLUICE_LOCAL_TASK_GROUPS_DIR`: the legacy program's) — is
 * killed, as a container's processes end with the container. Likewise each task's temporary
 * directory (its `TMPDIR`, under `scratchRoot`) goes when it ends, however it ends, or at the
 * next start when the runtime was killed with it: a container's ephemeral storage.
 */
export class LocalTaskRunner implements TaskLauncher {
  readonly #options: LocalTaskRunnerOptions;
  readonly #running = new Map<string, RunningTask>();
  readonly #clock: Clock;
  readonly #durability: Durability;

  constructor(options: LocalTaskRunnerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#durability = { fsync: options.fsync ?? false };
  }

  /** {@inheritDoc TaskLauncher.launch} */
  async launch(request: TaskLaunchRequest): Promise<TaskLaunchResult> {
    const event = request.event;
    const runId = event.data.runId;
    const existing = this.#running.get(runId);
    if (existing) return { taskId: existing.record.taskId, alreadyRunning: true };
    const attempt = request.attempt ?? 1;
    // Synchronous up to `#running.set`: a second launch of the run meanwhile must find this one.
    const scratchRoot = this.#options.scratchRoot ?? tmpdir();
    mkdirSync(scratchRoot, { recursive: true });
    const record: TaskRecord = {
      runId,
      taskId: "",
      startedAt: new Date(this.#clock.now()).toISOString(),
      event,
      attempt,
      scratchDir: mkdtempSync(join(scratchRoot, "sluice-task-")),
    };
    const child = this.#spawn(record);
    record.taskId = `local-task/${runId}/${child.pid ?? "unknown"}`;
    if (child.pid !== undefined) {
      record.pid = child.pid;
      record.spawnedAt = Date.now();
    }
    const recorded = writeFileAtomic(
      this.#recordPath(runId),
      JSON.stringify(record),
      join(this.#options.tasksDir, ".tmp"),
      this.#durability,
    );
    // A quick task may exit before its record is written: removing the record waits for it,
    // or a finished task would be started again on the next resume.
    const task: RunningTask = { record, child, exited: Promise.resolve(), stopRequested: false };
    task.exited = this.#watch(task, recorded);
    this.#running.set(runId, task);
    await recorded;
    return { taskId: record.taskId, alreadyRunning: false };
  }

  /**
   * Records a launch without starting it, for {@link resumeInterrupted} to start at the next
   * start: a retry that was still waiting for its backoff when the runtime stopped.
   */
  async deferLaunch(request: TaskLaunchRequest): Promise<void> {
    const { event } = request;
    const record: TaskRecord = {
      runId: event.data.runId,
      taskId: "",
      startedAt: new Date(this.#clock.now()).toISOString(),
      event,
      attempt: request.attempt ?? 1,
    };
    await writeFileAtomic(
      this.#recordPath(record.runId),
      JSON.stringify(record),
      join(this.#options.tasksDir, ".tmp"),
      this.#durability,
    );
  }

  /** Run ids of the tasks running now. */
  running(): string[] {
    return [...this.#running.keys()];
  }

  /**
   * Starts again every task recorded as started but not finished (the runtime was stopped or
   * killed while it ran), after ending what is left of it (a killed runtime's task may still
   * run). Returns how many were started.
   */
  async resumeInterrupted(): Promise<number> {
    let resumed = 0;
    for (const record of await this.#records()) {
      if (this.#running.has(record.runId)) continue;
      if (record.pid !== undefined)
        await endOrphanedTask(this.#groupsOf(record.runId, record.pid), record.spawnedAt);
      if (record.scratchDir) await rm(record.scratchDir, { recursive: true, force: true });
      const result = await this.launch({
        event: parseEvent(record.event, "sluice.object.received"),
        attempt: record.attempt ?? 1,
      });
      if (!result.alreadyRunning) resumed++;
    }
    return resumed;
  }

  /** Resolves when no task is running. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running.values()].map((task) => task.exited));
  }

  /**
   * Stops every running task like ECS StopTask: SIGTERM, then SIGKILL after the stop timeout.
   * Their records stay, so {@link resumeInterrupted} starts them again.
   */
  async stop(): Promise<void> {
    const stopTimeoutMs = this.#options.stopTimeoutMs ?? DEFAULT_TASK_RUNNER_SETTINGS.stopTimeoutMs;
    await Promise.all(
      [...this.#running.values()].map(async (task) => {
        task.stopRequested = true;
        // Like `docker stop`: SIGTERM to the entrypoint alone (it stops its own child), SIGKILL to all.
        if (isAlive(task.child)) task.child.kill("SIGTERM");
        const exited = new AbortController();
        const killAfterTimeout = this.#clock.sleep(stopTimeoutMs, exited.signal).then(() => {
          if (!exited.signal.aborted) killGroup(task.child);
        });
        await task.exited;
        exited.abort();
        await killAfterTimeout;
      }),
    );
  }

  #groupsOf(runId: string, pid: number): TaskGroups {
    return { pid, groupsDir: this.#groupsDirOf(runId) };
  }

  /** Where the task of `runId` records the process groups it starts (`SLUICE_LOCAL_TASK_GROUPS_DIR`). */
  #groupsDirOf(runId: string): string {
    return join(this.#options.tasksDir, `${encodeKeySegment(runId)}.groups`);
  }

  #spawn(record: TaskRecord): ChildProcess {
    const { event, attempt = 1, scratchDir } = record;
    const inherit = this.#options.inheritEnv ?? DEFAULT_TASK_RUNNER_SETTINGS.inheritEnv;
    const env: Record<string, string> = {};
    for (const name of inherit) {
      const value = process.env[name];
      if (value !== undefined) env[name] = value;
    }
    Object.assign(env, this.#options.environment, {
      [ENV.taskEvent]: JSON.stringify(event),
      [LOCAL_ENV.taskGroupsDir]: this.#groupsDirOf(event.data.runId),
    });
    // What the task and its program write to their temporary directory goes when the task ends.
    if (scratchDir) Object.assign(env, { TMPDIR: scratchDir, TMP: scratchDir, TEMP: scratchDir });
    if (attempt > 1) env[ENV.taskAttempt] = String(attempt);
    return spawn(this.#options.command ?? process.execPath, [...this.#options.args], {
      env,
      cwd: this.#options.cwd,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
  }

  #watch(task: RunningTask, recorded: Promise<unknown>): Promise<void> {
    const { record, child } = task;
    const tailSize = this.#options.stderrTailLines ?? DEFAULT_TASK_RUNNER_SETTINGS.stderrTailLines;
    const tail: string[] = [];
    const streamLines = (stream: NodeJS.ReadableStream | null, name: "stdout" | "stderr") => {
      if (!stream) return Promise.resolve();
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("line", (line) => {
        if (name === "stderr") {
          tail.push(line);
          if (tail.length > tailSize) tail.shift();
        }
        this.#options.onOutput?.({ runId: record.runId, taskId: record.taskId, stream: name, line });
      });
      return new Promise<void>((resolve) => lines.once("close", () => resolve()));
    };
    const output = Promise.all([streamLines(child.stdout, "stdout"), streamLines(child.stderr, "stderr")]);
    const ended = new Promise<{ exitCode: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>(
      (resolve) => {
        child.once("error", (spawnError) => resolve({ exitCode: null, signal: null, spawnError }));
        child.once("exit", (exitCode, signal) => resolve({ exitCode, signal }));
      },
    );
    return ended.then(async ({ exitCode, signal, spawnError }) => {
      if (record.pid !== undefined) await endTaskGroups(this.#groupsOf(record.runId, record.pid));
      await output;
      if (record.scratchDir) await rm(record.scratchDir, { recursive: true, force: true });
      if (spawnError) tail.push(`could not start task: ${spawnError.message}`);
      const interrupted = task.stopRequested;
      await recorded.catch(() => undefined);
      if (!interrupted) await rm(this.#recordPath(record.runId), { force: true });
      this.#running.delete(record.runId);
      this.#options.onExit?.({
        runId: record.runId,
        taskId: record.taskId,
        event: record.event,
        attempt: record.attempt ?? 1,
        startedAt: record.startedAt,
        exitCode,
        signal,
        interrupted,
        stderrTail: tail.join("\n"),
      });
    });
  }

  async #records(): Promise<TaskRecord[]> {
    let names: string[];
    try {
      names = (await readdir(this.#options.tasksDir)).filter((name) => name.endsWith(".json")).sort();
    } catch (error) {
      if (isFsError(error, "ENOENT")) return [];
      throw error;
    }
    const records: TaskRecord[] = [];
    for (const name of names) {
      try {
        records.push(JSON.parse(await readFile(join(this.#options.tasksDir, name), "utf8")) as TaskRecord);
      } catch (error) {
        if (!isFsError(error, "ENOENT")) throw error;
      }
    }
    return records;
  }

  #recordPath(runId: string): string {
    return join(this.#options.tasksDir, `${encodeKeySegment(runId)}.json`);
  }
}

function isAlive(child: ChildProcess): boolean {
  return child.pid !== undefined && child.exitCode === null && child.signalCode === null;
}

/** Kills the task's whole process group: the entrypoint and the legacy program it runs. */
function killGroup(child: ChildProcess): void {
  if (!isAlive(child)) return;
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    child.kill("SIGKILL");
  }
}
