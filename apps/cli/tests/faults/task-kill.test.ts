import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
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
 * A container task killed by a signal (issue 12): the runtime reports `object.failed`
 * (`task-killed`, retryable), the legacy program dies with its task, `sluice run` exits 3, and
 * `sluice replay --state failed` loads the object's rows exactly once.
 */
const TRIALS = chaosTrials(1 / 5, 2);
const LEDGER_ROWS = 8;
/** A legacy program that would run for ten minutes: the task is killed long before. */
const NEVER_ENDING_PROGRAM = JSON.stringify(["sleep", "600"]);

jest.setTimeout(600_000);

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
  return { task: pid, program: Number(program) };
}

describe(`a killed container task (${TRIALS} trials)`, () => {
  const database = faultDatabase("faults_task");
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [LEDGER_APPEND_CONTRACT]);
    await copyLedgerSample(trial.dataDir);
  });
  afterEach(() => trial.cleanup());

  it.each(Array.from({ length: TRIALS }, (_, index) => ({ index, alsoProgram: index % 2 === 1 })))(
    "trial $index: fails task-killed, takes its program along, and replay loads it once (program killed too: $alsoProgram)",
    async ({ alsoProgram }) => {
      // The CLI passes the legacy settings it is given to its tasks.
      const run = startSluice([...trial.globals, "run", trial.dataDir], {
        SLUICE_LEGACY_COMMAND: NEVER_ENDING_PROGRAM,
      });
      await waitFor(
        async () => (await runningTask(trial.stateDir)) !== undefined,
        "the task's program to run",
      );
      const pids = (await runningTask(trial.stateDir))!;

      process.kill(pids.task, "SIGKILL");
      if (alsoProgram) process.kill(pids.program, "SIGKILL");
      const code = await run.exited;

      await waitFor(() => !isRunning(pids.program), "the legacy program to end with its task");
      expect({ code, out: run.stdout }).toMatchObject({
        code: EXIT.attention,
        out: expect.stringMatching(/failed: task-killed/),
      });
      const [failed] = (await journalEntries(trial.stateDir)).filter(
        ({ event }) => event.type === "sluice.object.failed",
      );
      expect(failed!.event.data).toMatchObject({
        reason: "task-killed",
        retryable: true,
        phase: "legacy-wrapper",
      });
      expect(Object.values(await trial.rawObjectStates())).toEqual(["failed"]);

      const replayed = await runSluice([...trial.globals, "replay", "--state", "failed", "--prefix", ""]);

      expect(replayed).toMatchObject({
        code: EXIT.ok,
        out: expect.stringContaining("re-emitted 1 object(s)"),
      });
      expect(Object.values(await trial.rawObjectStates())).toEqual(["loaded"]);
      const [rows] = await trial.sql<Record<string, unknown>>(
        "select count(*) as n, count(distinct entry_id) as entries from ledger_appended",
      );
      expect([rows!.n, rows!.entries].map(Number)).toEqual([LEDGER_ROWS, LEDGER_ROWS]);
    },
  );
});
