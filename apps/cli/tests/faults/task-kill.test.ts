import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_LEGACY_COMMAND } from "@sluice/legacy-wrapper";
import { localStateLayout } from "@sluice/local";
import { EXIT } from "../../src";
import { isRunning, runSluice, startSluice, waitFor } from "../support/cli-process";
import {
  chaosTrials,
  copyLedgerSample,
  type FaultTrial,
  faultDatabase,
  LEDGER_APPEND_CONTRACT,
  startTrial,
} from "../support/fault-trials";
import { journalEntries } from "../support/harness";

/**
 * A container task killed by a signal (issue 12, retried automatically since issue 13): the
 * runtime reports `object.failed` (`task-killed`, retryable), the legacy program dies with its
 * task, and the run's task is started again, one attempt later, after the launcher's backoff.
 * Even trials: the second attempt loads the rows and `sluice run` exits 0. Odd trials: with
 * `SLUICE_TASK_MAX_ATTEMPTS=2` both attempts are killed, the run stays failed, `sluice run` exits
 * 3, and `sluice replay --state failed` loads it. Every trial ends with each row loaded once.
 */
const TRIALS = chaosTrials(1 / 5, 2);
const LEDGER_ROWS = 8;

jest.setTimeout(600_000);

/**
 * The shipped legacy program, run only once `marker` exists; before that the program sleeps for
 * ten minutes (exec'ed, so the pid the wrapper records is the sleep's): the task is killed long before.
 */
function programOnceMarked(marker: string): string {
  return JSON.stringify([
    "sh",
    "-c",
    'if [ -e "$0" ]; then exec "$@"; fi; exec sleep 600',
    marker,
    ...DEFAULT_LEGACY_COMMAND,
  ]);
}

/** The running task of the trial's one run: its pid (from its record) and its program's (from its groups). */
async function runningTask(stateDir: string): Promise<{ task: number; program: number } | undefined> {
  const tasksDir = localStateLayout(stateDir).tasksDir;
  const names = await readdir(tasksDir).catch(() => [] as string[]);
  const record = names.find((name) => name.endsWith(".json"));
  const groups = names.find((name) => name.endsWith(".groups"));
  if (!record || !groups) return undefined;
  const [program] = await readdir(join(tasksDir, groups)).catch(() => [] as string[]);
  if (!program) return undefined;
  const { pid } = JSON.parse(await readFile(join(tasksDir, record), "utf8")) as { pid: number };
  return isRunning(pid) && isRunning(Number(program)) ? { task: pid, program: Number(program) } : undefined;
}

/** Kills the trial's running task (and its program too when `alsoProgram`), once it runs a task other than `before`'s. */
async function killTask(stateDir: string, alsoProgram: boolean, before?: number): Promise<number> {
  let pids: { task: number; program: number } | undefined;
  await waitFor(async () => {
    pids = await runningTask(stateDir);
    return pids !== undefined && pids.task !== before;
  }, "the task's program to run");
  process.kill(pids!.task, "SIGKILL");
  if (alsoProgram) process.kill(pids!.program, "SIGKILL");
  await waitFor(() => !isRunning(pids!.program), "the legacy program to end with its task");
  return pids!.task;
}

describe(`a killed container task (${TRIALS} trials)`, () => {
  const database = faultDatabase("faults_task");
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [LEDGER_APPEND_CONTRACT]);
    await copyLedgerSample(trial.dataDir);
  });
  afterEach(() => trial.cleanup());

  async function loadedOnce(): Promise<void> {
    expect(Object.values(await trial.rawObjectStates())).toEqual(["loaded"]);
    const [rows] = await trial.sql<Record<string, unknown>>(
      "select count(*) as n, count(distinct entry_id) as entries from ledger_appended",
    );
    expect([rows!.n, rows!.entries].map(Number)).toEqual([LEDGER_ROWS, LEDGER_ROWS]);
  }

  async function failures(): Promise<Record<string, unknown>[]> {
    return (await journalEntries(trial.stateDir))
      .filter(({ event }) => event.type === "sluice.object.failed")
      .map(({ event }) => event.data as Record<string, unknown>);
  }

  it.each([
    { stop: "SIGINT", resume: "run", args: ["run"], says: "" },
    // Killed, not stopped: the retry was recorded with the tasks before its failure was published.
    { stop: "SIGKILL", resume: "run", args: ["run"], says: "" },
    // The run shows `retrying`, which `replay --state failed` takes too: the retry and the replay load once between them.
    {
      stop: "SIGINT",
      resume: "replay",
      args: ["replay", "--state", "failed", "--prefix", ""],
      says: "re-emitted 1 object(s)",
    },
  ] as const)(
    "starts a retry that was waiting for its backoff when sluice got $stop, at the next $resume, and loads the rows once",
    async ({ stop, args, says }) => {
      const marker = join(trial.dataDir, "..", "run-the-program");
      const legacy = { SLUICE_LEGACY_COMMAND: programOnceMarked(marker), SLUICE_RETRY_DELAY_MS: "600000" };
      const run = startSluice([...trial.globals, "run", trial.dataDir], legacy);
      await waitFor(async () => (await runningTask(trial.stateDir)) !== undefined, "the first task");
      await writeFile(marker, "");
      await killTask(trial.stateDir, false);
      await waitFor(async () => (await failures()).length === 1, "the killed task's failure");

      // Ctrl-C (or kill -9) while the retry waits its ten minutes.
      run.child.kill(stop);
      await run.exited;
      expect(Object.values(await trial.rawObjectStates())).toEqual(["retrying"]);
      const resumed = await runSluice([...trial.globals, ...(args as readonly string[])], legacy);

      expect(resumed).toMatchObject({ code: EXIT.ok, out: expect.stringContaining(says) });
      expect((await failures()).map((failed) => failed.reason)).toEqual(["task-killed"]);
      await loadedOnce();
    },
  );

  it.each(Array.from({ length: TRIALS }, (_, index) => ({ index, alsoProgram: index % 4 >= 2 })))(
    "trial $index: fails task-killed, takes its program along, and the run loads once (program killed too: $alsoProgram)",
    async ({ index, alsoProgram }) => {
      const marker = join(trial.dataDir, "..", `run-the-program-${index}`);
      const everyAttemptKilled = index % 2 === 1;
      // The CLI passes the legacy settings it is given to its tasks.
      const run = startSluice([...trial.globals, "run", trial.dataDir], {
        SLUICE_LEGACY_COMMAND: programOnceMarked(marker),
        SLUICE_RETRY_DELAY_MS: "200",
        ...(everyAttemptKilled ? { SLUICE_TASK_MAX_ATTEMPTS: "2" } : {}),
      });

      if (!everyAttemptKilled) {
        // Attempt 1 is already asleep: only the next one runs the program.
        await waitFor(async () => (await runningTask(trial.stateDir)) !== undefined, "the first task");
        await writeFile(marker, "");
        await killTask(trial.stateDir, alsoProgram);
        const code = await run.exited;

        expect({ code, out: run.stdout }).toMatchObject({ code: EXIT.ok });
        const [failed, ...more] = await failures();
        expect(more).toEqual([]);
        expect(failed).toMatchObject({
          reason: "task-killed",
          retryable: true,
          phase: "legacy-wrapper",
          nextAttempt: 2,
        });
        expect(failed!.message).toMatch(/started again automatically \(attempt 2 of 3\)$/);
        await loadedOnce();
        return;
      }

      const first = await killTask(trial.stateDir, alsoProgram);
      await killTask(trial.stateDir, alsoProgram, first);
      const code = await run.exited;

      expect({ code, out: run.stdout }).toMatchObject({
        code: EXIT.attention,
        out: expect.stringMatching(/failed: task-killed/),
      });
      const attempts = await failures();
      expect(attempts.map((failed) => [failed.reason, failed.retryable, failed.nextAttempt])).toEqual([
        ["task-killed", true, 2],
        ["task-killed", true, undefined],
      ]);
      expect(attempts[0]!.message).toMatch(/attempt 2 of 2/);
      expect(attempts[1]!.message).toMatch(/sluice replay --state failed/);
      expect(Object.values(await trial.rawObjectStates())).toEqual(["failed"]);

      await writeFile(marker, "");
      const replayed = await runSluice([...trial.globals, "replay", "--state", "failed", "--prefix", ""]);

      expect(replayed).toMatchObject({
        code: EXIT.ok,
        out: expect.stringContaining("re-emitted 1 object(s)"),
      });
      await loadedOnce();
    },
  );
});
