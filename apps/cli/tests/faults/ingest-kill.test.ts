import { EXIT } from "../../src";
import { runSluice, startSluice } from "../support/cli-process";
import {
  CHAOS_SEED,
  CLICKS_CONTRACT,
  chaosTrials,
  type FaultTrial,
  faultDatabase,
  seededRandom,
  startTrial,
  writeClickFiles,
} from "../support/fault-trials";
import { type IngestKillPoint, killDuringIngest, type LandedKill } from "../support/ingest-kill-points";

/**
 * `kill -9` of `sluice run <folder>` at random points of its ingest (issue 12): whatever the
 * point, every object in the raw bucket has its event (a restart without paths takes each to a
 * terminal state), `sluice run <folder>` again says how far the cut ingest got and finishes it,
 * and every row is loaded exactly once.
 */
const FILES = 24;
const ROWS = 5;
const TRIALS = chaosTrials();
const random = seededRandom(CHAOS_SEED);
const MOMENTS = ["committed", "writing", "announced", "acknowledged"] as const;
/** Each trial's kill point: after a random count of stored files, the moments in turn. */
const KILL_POINTS: IngestKillPoint[] = Array.from({ length: TRIALS }, (_, index) => ({
  afterStored: Math.floor(random() * FILES),
  moment: MOMENTS[index % MOMENTS.length]!,
}));

jest.setTimeout(600_000);

const outcomes: (LandedKill & { cut: boolean; announced: number })[] = [];

describe(`kill -9 during \`sluice run <folder>\` (seed ${CHAOS_SEED}, ${TRIALS} trials)`, () => {
  const database = faultDatabase("faults_ingest");
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [CLICKS_CONTRACT]);
    await writeClickFiles(trial.dataDir, FILES, ROWS);
  });
  afterEach(() => trial.cleanup());
  afterAll(() => {
    const cut = outcomes.filter((o) => o.cut).length;
    console.log(
      `ingest kill trials (seed ${CHAOS_SEED}): ${outcomes.length} passed, ${cut} cut the ingest, ` +
        `${outcomes.reduce((n, o) => n + o.announced, 0)} object(s) announced at restart; landed at ` +
        outcomes.map((o) => `${o.stored}/${o.moment}`).join(", "),
    );
  });

  it.each(KILL_POINTS.map((point, index) => ({ ...point, index })))(
    "trial $index: killed after $afterStored stored files ($moment), nothing is lost or loaded twice",
    async (point) => {
      const run = startSluice([...trial.globals, "run", trial.dataDir]);
      const landed = await killDuringIngest(run, trial.stateDir, "clicks", point, random);
      const cut = landed.moment !== "processing";

      const resumed = await runSluice([...trial.globals, "run"]);
      const afterResume = await trial.rawObjectStates();
      const finished = await runSluice([...trial.globals, "run", trial.dataDir]);

      expect(resumed.code).toBe(EXIT.ok);
      // Every object the killed run stored has its event: each is loaded after a plain resume.
      expect(Object.entries(afterResume).filter(([, state]) => state !== "loaded")).toStrictEqual([]);
      expect(finished.code).toBe(EXIT.ok);
      const progress = `${trial.dataDir}: ${landed.stored} of ${FILES} files were stored`;
      if (cut) {
        expect(resumed.err).toContain(`an ingest was interrupted: ${progress}`);
        expect(finished.err).toContain(`resuming an interrupted ingest of ${progress}`);
      } else expect(finished.err).not.toContain("resuming an interrupted ingest");
      const states = await trial.rawObjectStates();
      expect(Object.keys(states)).toHaveLength(FILES);
      expect(new Set(Object.values(states))).toEqual(new Set(["loaded"]));
      const [rows] = await trial.sql<Record<string, unknown>>(
        "select count(*) as n, count(distinct _sluice_run_id) as runs, count(distinct event_id) as events from clicks",
      );
      const [perRun] = await trial.sql<Record<string, unknown>>(
        "select min(c) as least, max(c) as most from (select count(*) as c from clicks group by _sluice_run_id) r",
      );
      expect([rows!.n, rows!.runs, rows!.events, perRun!.least, perRun!.most].map(Number)).toEqual([
        FILES * ROWS,
        FILES,
        FILES * ROWS,
        ROWS,
        ROWS,
      ]);
      outcomes.push({ ...landed, cut, announced: announcedIn(resumed.err) });
    },
  );
});

function announcedIn(stderr: string): number {
  return Number(/announced (\d+) object/.exec(stderr)?.[1] ?? 0);
}
