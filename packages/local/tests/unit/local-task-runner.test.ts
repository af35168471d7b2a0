import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { createEvent, ENV, type SluiceEvent } from "@sluice/core";
import { LOCAL_ENV, LocalTaskRunner, ManualClock, type TaskExit, type TaskOutputLine } from "../../src";
import { tempDir, waitFor } from "../helpers";

const ENTRYPOINT = join(__dirname, "..", "fixtures", "fake-entrypoint.cjs");

function received(runId: string): SluiceEvent<"sluice.object.received"> {
  return createEvent("sluice.object.received", "sluice/listener", {
    runId,
    object: { bucket: "raw", key: "ledger/2026-01.txt", size: 100, eTag: "e" },
    dataset: "ledger",
    contractVersion: 1,
    route: "container",
  });
}

const RUN_A = "r-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const RUN_B = "r-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
const STOP_TIMEOUT_MS = 2000;

describe("LocalTaskRunner", () => {
  const taskStarted = (runId: string) => async () => (await readdir(dir)).includes(`${runId}.starts`);

  let dir: string;
  let cleanup: () => Promise<void>;
  let output: TaskOutputLine[];
  let exits: TaskExit[];

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    output = [];
    exits = [];
    process.env.SLUICE_SECRET_FROM_PARENT = "should not leak";
  });
  afterEach(async () => {
    delete process.env.SLUICE_SECRET_FROM_PARENT;
    // A task a failing test lost track of would keep jest from ending: end every one started.
    for (const name of (await readdir(dir)).filter((file) => file.endsWith(".pids")))
      for (const pid of (await readFile(join(dir, name), "utf8")).split("\n").filter(Boolean).map(Number))
        if (isRunning(pid)) process.kill(pid, "SIGKILL");
    await cleanup();
  });

  // A ManualClock by default: the SIGKILL after the stop timeout comes only when a test moves it.
  function runner(behaviour: string, clock = new ManualClock()): LocalTaskRunner {
    return new LocalTaskRunner({
      args: [ENTRYPOINT],
      environment: {
        [ENV.stagingBucket]: "staging",
        [LOCAL_ENV.stateDir]: dir,
        SLUICE_FAKE_BEHAVIOUR: behaviour,
        SLUICE_FAKE_MARKER_DIR: dir,
      },
      tasksDir: join(dir, "tasks"),
      scratchRoot: join(dir, "scratch"),
      stopTimeoutMs: STOP_TIMEOUT_MS,
      onOutput: (line) => output.push(line),
      onExit: (exit) => exits.push(exit),
      clock,
    });
  }

  it("spawns the entrypoint with the task event and the task definition's environment only", async () => {
    const tasks = runner("ok");

    const result = await tasks.launch({ event: received(RUN_A) });
    await tasks.idle();

    expect(result).toEqual({ taskId: expect.stringContaining(RUN_A), alreadyRunning: false });
    const stdout = output.filter((line) => line.stream === "stdout").map((line) => JSON.parse(line.line));
    expect(stdout).toEqual([{ runId: RUN_A, stagingBucket: "staging", stateDir: dir, hasSecret: false }]);
    expect(output.find((line) => line.stream === "stderr")).toMatchObject({
      runId: RUN_A,
      line: "stderr line 1",
    });
    expect(exits).toMatchObject([{ runId: RUN_A, attempt: 1, exitCode: 0, interrupted: false }]);
  });

  /** The temporary directory run `runId`'s latest task was given (the fake entrypoint says). */
  const scratchOf = (runId: string) => readFile(join(dir, `${runId}.tmpdir`), "utf8");

  it("gives each task a temporary directory of its own, and removes it when the task ends", async () => {
    const tasks = runner("hang");
    await tasks.launch({ event: received(RUN_A) });
    await tasks.launch({ event: received(RUN_B) });
    await waitFor(async () => (await readdir(dir)).includes(`${RUN_B}.starts`), undefined, "task B started");
    await waitFor(taskStarted(RUN_A), undefined, "task A started");

    const [scratchA, scratchB] = [await scratchOf(RUN_A), await scratchOf(RUN_B)];
    expect(scratchA).not.toBe(scratchB);
    for (const scratch of [scratchA, scratchB]) {
      expect(scratch.startsWith(join(dir, "scratch"))).toBe(true);
      expect(await readdir(scratch)).toEqual(["work-file"]);
    }
    await tasks.stop();

    expect(exits).toHaveLength(2);
    expect(await readdir(join(dir, "scratch"))).toEqual([]);
    const finished = runner("ok");
    await finished.resumeInterrupted();
    await finished.idle();
    expect(await readdir(join(dir, "scratch"))).toEqual([]);
  });

  it("starts one task per run id while it runs: a second launch says alreadyRunning", async () => {
    const tasks = runner("hang");

    const first = await tasks.launch({ event: received(RUN_A) });
    const second = await tasks.launch({ event: received(RUN_A) });
    const other = await tasks.launch({ event: received(RUN_B) });

    expect(second).toEqual({ taskId: first.taskId, alreadyRunning: true });
    expect(other.alreadyRunning).toBe(false);
    expect(tasks.running().sort()).toEqual([RUN_A, RUN_B]);
    await tasks.stop();
  });

  it("starts one task for two launches of a run at the same moment", async () => {
    const tasks = runner("hang");

    const launches = await Promise.all([
      tasks.launch({ event: received(RUN_A) }),
      tasks.launch({ event: received(RUN_A) }),
    ]);
    await waitFor(taskStarted(RUN_A), undefined, "task started");
    await tasks.stop();

    expect(launches.map((launch) => launch.alreadyRunning).sort()).toEqual([false, true]);
    expect(await readFile(join(dir, `${RUN_A}.starts`), "utf8")).toBe("x");
    expect(exits).toHaveLength(1);
  });

  it("reports a failing task's exit code and stderr tail, and forgets it", async () => {
    const tasks = runner("exit3");

    await tasks.launch({ event: received(RUN_A) });
    await tasks.idle();

    expect(exits[0]).toMatchObject({ exitCode: 3, interrupted: false });
    expect(exits[0]!.stderrTail).toContain("legacy program failed");
    expect(await readdir(join(dir, "tasks"))).not.toContain(`${RUN_A}.json`);
  });

  it("stops running tasks with SIGTERM and starts them again after a restart", async () => {
    const tasks = runner("hang");
    await tasks.launch({ event: received(RUN_A) });
    await waitFor(taskStarted(RUN_A), undefined, "task started");

    await tasks.stop();

    expect(exits[0]).toMatchObject({ interrupted: true });
    expect(exits[0]!.stderrTail).toContain("got SIGTERM");
    const restarted = runner("ok");
    expect(await restarted.resumeInterrupted()).toBe(1);
    await restarted.idle();
    expect(await readFile(join(dir, `${RUN_A}.starts`), "utf8")).toBe("xx");
    expect(await restarted.resumeInterrupted()).toBe(0);
  });

  it("tells a retry which attempt it is, and starts an interrupted retry again as the same attempt", async () => {
    const tasks = runner("hang");
    await tasks.launch({ event: received(RUN_A), attempt: 2 });
    await waitFor(taskStarted(RUN_A), undefined, "task started");

    await tasks.stop();
    const restarted = runner("ok");
    await restarted.resumeInterrupted();
    await restarted.idle();

    const reports = output.filter((line) => line.stream === "stdout").map((line) => JSON.parse(line.line));
    expect(reports.map((report) => report.attempt)).toEqual(["2", "2"]);
    expect(exits).toMatchObject([
      { attempt: 2, interrupted: true },
      { attempt: 2, exitCode: 0, interrupted: false },
    ]);
  });

  it("starts a deferred launch at the next start, as the attempt it was deferred as", async () => {
    const stopping = runner("ok");
    await stopping.deferLaunch({ event: received(RUN_A), attempt: 3 });

    expect(stopping.running()).toEqual([]);
    const restarted = runner("ok");
    expect(await restarted.resumeInterrupted()).toBe(1);
    await restarted.idle();

    expect(exits).toMatchObject([{ runId: RUN_A, attempt: 3, exitCode: 0, interrupted: false }]);
    expect(await readdir(join(dir, "tasks"))).not.toContain(`${RUN_A}.json`);
    expect(await runner("ok").resumeInterrupted()).toBe(0);
  });

  it("kills a task that ignores SIGTERM once the stop timeout has passed on the clock", async () => {
    const clock = new ManualClock();
    const tasks = runner("ignore-sigterm", clock);
    await tasks.launch({ event: received(RUN_A) });
    await waitFor(taskStarted(RUN_A), undefined, "task started");

    const stopping = tasks.stop();
    await waitFor(
      () => output.some((line) => line.line === "ignoring SIGTERM"),
      undefined,
      "SIGTERM ignored",
    );
    const beforeTimeout = [...exits];
    await clock.advance(STOP_TIMEOUT_MS);
    await stopping;

    expect(beforeTimeout).toEqual([]);
    expect(exits).toMatchObject([{ runId: RUN_A, signal: "SIGKILL", interrupted: true }]);
    expect(tasks.running()).toEqual([]);
  });

  /** Launches run A's task, which starts a program in a group of its own: both pids. */
  async function launchWithProgram(tasks: LocalTaskRunner): Promise<{ taskPid: number; programPid: number }> {
    const { taskId } = await tasks.launch({ event: received(RUN_A) });
    const marker = join(dir, `${RUN_A}.program`);
    await waitFor(
      async () => (await readdir(dir)).includes(`${RUN_A}.program`),
      undefined,
      "program started",
    );
    return { taskPid: Number(taskId.split("/").pop()), programPid: Number(await readFile(marker, "utf8")) };
  }

  it("reports a task killed from outside as killed, forgets it, and kills the program it started", async () => {
    const tasks = runner("spawn-program");
    const { taskPid, programPid } = await launchWithProgram(tasks);

    process.kill(taskPid, "SIGKILL");
    await tasks.idle();

    expect(exits).toMatchObject([{ runId: RUN_A, exitCode: null, signal: "SIGKILL", interrupted: false }]);
    await waitFor(() => !isRunning(programPid), undefined, "the program to die with its task");
    expect(await readdir(join(dir, "tasks"))).toEqual([".tmp"]);
    expect(await readdir(join(dir, "scratch"))).toEqual([]);
    expect(await runner("ok").resumeInterrupted()).toBe(0);
  });

  it("ends what a killed runtime's task left running before starting the task again", async () => {
    const killedRuntime = runner("spawn-program");
    const { taskPid, programPid } = await launchWithProgram(killedRuntime);
    const killedScratch = await scratchOf(RUN_A);

    const restarted = runner("ok");
    expect(await restarted.resumeInterrupted()).toBe(1);
    expect(existsSync(killedScratch)).toBe(false);

    await waitFor(
      () => !isRunning(taskPid) && !isRunning(programPid),
      undefined,
      "the orphaned task and program to end",
    );
    await restarted.idle();
    expect(await readFile(join(dir, `${RUN_A}.starts`), "utf8")).toBe("xx");
    await killedRuntime.idle();
    expect(await readdir(join(dir, "scratch"))).toEqual([]);
  });

  it("reports a command that cannot start as a failed exit", async () => {
    const tasks = new LocalTaskRunner({
      command: join(dir, "no-such-program"),
      args: [],
      environment: {},
      tasksDir: join(dir, "tasks"),
      onExit: (exit) => exits.push(exit),
    });

    await tasks.launch({ event: received(RUN_A) });
    await tasks.idle();

    expect(exits[0]).toMatchObject({ exitCode: null, signal: null });
    expect(exits[0]!.stderrTail).toContain("could not start task");
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
