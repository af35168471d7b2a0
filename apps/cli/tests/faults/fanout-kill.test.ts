import { EXIT } from "../../src";
import { runSluice, startSluice, waitFor } from "../support/cli-process";
import {
  CHAOS_SEED,
  CLICKS_CONTRACT,
  chaosTrials,
  FAN_OUT_ENV,
  type FaultTrial,
  faultDatabase,
  seededRandom,
  startTrial,
  writeLargeClicks,
} from "../support/fault-trials";
import { journalEntries } from "../support/harness";

/**
 * A fanned-out object (issue 13) whose `sluice run` is killed (SIGKILL: the worker threads die
 * with it) after a random number of its parts are staged: the next `sluice run` finishes the
 * run, and its rows are in the table exactly once, with every object loaded.
 */
const TRIALS = chaosTrials(1 / 5, 2);
const ROWS = 30_000;

jest.setTimeout(600_000);

async function partsStaged(stateDir: string): Promise<number> {
  const entries = await journalEntries(stateDir).catch(() => []);
  return entries.filter(({ event }) => event.type === "sluice.part.staged").length;
}

describe(`a fanned-out run killed mid-way (${TRIALS} trials, seed ${CHAOS_SEED})`, () => {
  const database = faultDatabase("faults_fanout");
  const random = seededRandom(CHAOS_SEED);
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [CLICKS_CONTRACT]);
    await writeLargeClicks(trial.dataDir, ROWS);
  });
  afterEach(() => trial.cleanup());

  it.each(Array.from({ length: TRIALS }, (_, index) => ({ index, after: 1 + Math.floor(random() * 20) })))(
    "trial $index: killed after $after part(s) staged, the next run loads every row once",
    async ({ after }) => {
      const run = startSluice([...trial.globals, "run", trial.dataDir], FAN_OUT_ENV);
      let ended = false;
      void run.exited.then(() => {
        ended = true;
      });
      await waitFor(
        async () => ended || (await partsStaged(trial.stateDir)) >= after,
        `${after} parts staged`,
      );
      run.child.kill("SIGKILL");
      // Killed while the run was under way: not ended by itself, not loaded yet.
      expect(await run.exited).toBeNull();
      expect(Object.values(await trial.rawObjectStates())).not.toEqual(["loaded"]);

      const resumed = await runSluice([...trial.globals, "run"], FAN_OUT_ENV);

      expect({ code: resumed.code, err: resumed.err }).toMatchObject({ code: EXIT.ok });
      expect(Object.values(await trial.rawObjectStates())).toEqual(["loaded"]);
      const [rows] = await trial.sql<Record<string, unknown>>(
        "select count(*) as n, count(distinct event_id) as events from clicks",
      );
      expect([rows!.n, rows!.events].map(Number)).toEqual([ROWS, ROWS]);
      const [run0] = await trial.statuses();
      expect(run0?.parts?.total).toBeGreaterThan(20);
    },
  );
});
