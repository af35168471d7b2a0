import { EXIT, openLocalQueues } from "../../src";
import { runSluice } from "../support/cli-process";
import {
  CLICKS_CONTRACT,
  chaosTrials,
  copyLedgerSample,
  FAN_OUT_ENV,
  type FaultTrial,
  faultDatabase,
  LEDGER_APPEND_CONTRACT,
  startTrial,
  writeClickFiles,
  writeLargeClicks,
} from "../support/fault-trials";
import { journalEntries } from "../support/harness";

/**
 * Duplicate delivery (issue 12): every object's notification replayed three times and its
 * `object.staged` event delivered three more times straight to the loader's queue, all at
 * once, on both routes: each object's rows are in its table exactly once.
 */
const TRIALS = chaosTrials(1 / 10, 1);
const DUPLICATES = 3;
const CLICK_FILES = 3;
const CLICK_ROWS = 20;
const LEDGER_ROWS = 8;
/** A clicks file fanned out into some thirty parts ({@link FAN_OUT_ENV}). */
const FANNED_OUT_ROWS = 30_000;

jest.setTimeout(600_000);

describe(`duplicate delivery ×${DUPLICATES} (${TRIALS} trials)`, () => {
  const database = faultDatabase("faults_dup");
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [CLICKS_CONTRACT, LEDGER_APPEND_CONTRACT]);
    await writeClickFiles(trial.dataDir, CLICK_FILES, CLICK_ROWS);
    await copyLedgerSample(trial.dataDir);
  });
  afterEach(() => trial.cleanup());

  it.each(Array.from({ length: TRIALS }, (_, index) => index))(
    "trial %i: rows are loaded exactly once however often each object is delivered",
    async () => {
      expect((await runSluice([...trial.globals, "run", trial.dataDir])).code).toBe(EXIT.ok);
      // One staged event per run. Delivery is at least once: a run may have been staged twice
      // already (a redelivered launch, a container task's retry), which loads once all the same.
      const staged = [
        ...new Map(
          (await journalEntries(trial.stateDir))
            .filter(({ event }) => event.type === "sluice.object.staged")
            .map((entry) => [entry.event.data.runId, entry]),
        ).values(),
      ];
      expect(staged).toHaveLength(CLICK_FILES + 1);

      for (let copy = 0; copy < DUPLICATES; copy++) {
        const replay = await runSluice([...trial.globals, "replay", "--prefix", "", "--no-wait"]);
        expect(replay.out).toContain(`re-emitted ${CLICK_FILES + 1} object(s)`);
      }
      const loaderQueue = (await openLocalQueues(trial.stateDir)).queue("loader");
      for (let copy = 0; copy < DUPLICATES; copy++)
        for (const { event } of staged) await loaderQueue.send(JSON.stringify(event));
      const drained = await runSluice([...trial.globals, "run"]);

      expect(drained.code).toBe(EXIT.ok);
      expect(new Set(Object.values(await trial.rawObjectStates()))).toEqual(new Set(["loaded"]));
      const loaded = (await journalEntries(trial.stateDir)).filter(
        ({ event }) => event.type === "sluice.object.loaded",
      );
      for (const { event } of staged) {
        const ofRun = loaded.filter((entry) => entry.event.data.runId === event.data.runId);
        // The first load, then at least the direct redeliveries; only the first put rows in.
        expect(ofRun.length).toBeGreaterThanOrEqual(1 + DUPLICATES);
        expect(
          ofRun.filter((entry) => !("alreadyLoaded" in entry.event.data && entry.event.data.alreadyLoaded)),
        ).toHaveLength(1);
      }
      const [clicks] = await trial.sql<Record<string, unknown>>(
        "select count(*) as n, count(distinct event_id) as events, count(distinct _sluice_run_id) as runs from clicks",
      );
      expect([clicks!.n, clicks!.events, clicks!.runs].map(Number)).toEqual([
        CLICK_FILES * CLICK_ROWS,
        CLICK_FILES * CLICK_ROWS,
        CLICK_FILES,
      ]);
      const [ledger] = await trial.sql<Record<string, unknown>>("select count(*) as n from ledger_appended");
      expect(Number(ledger!.n)).toBe(LEDGER_ROWS);
      expect((await trial.cli("dlq", "list")).code).toBe(EXIT.ok);
    },
  );
});

describe(`duplicate delivery ×${DUPLICATES} of a fanned-out run`, () => {
  const database = faultDatabase("faults_dup_fanout");
  let trial: FaultTrial;

  beforeEach(async () => {
    trial = await startTrial(database, [CLICKS_CONTRACT]);
    await writeLargeClicks(trial.dataDir, FANNED_OUT_ROWS);
  });
  afterEach(() => trial.cleanup());

  it("its split, part and staged events delivered again all at once, and the object replayed: its rows are loaded once", async () => {
    expect((await runSluice([...trial.globals, "run", trial.dataDir], FAN_OUT_ENV)).code).toBe(EXIT.ok);
    const events = (await journalEntries(trial.stateDir)).map(({ event }) => event);
    const ofType = (type: string) => events.filter((event) => event.type === type);
    const parts = ofType("sluice.part.requested");
    const toLoader = [...ofType("sluice.object.split"), ...ofType("sluice.object.staged")];
    expect(parts.length).toBeGreaterThan(20);
    expect(new Set(toLoader.map((event) => event.type))).toEqual(
      new Set(["sluice.object.split", "sluice.object.staged"]),
    );

    const queues = await openLocalQueues(trial.stateDir);
    for (let copy = 0; copy < DUPLICATES; copy++) {
      for (const event of parts) await queues.queue("transform").send(JSON.stringify(event));
      for (const event of toLoader) await queues.queue("loader").send(JSON.stringify(event));
    }
    const replay = await runSluice([...trial.globals, "replay", "--prefix", "", "--no-wait"], FAN_OUT_ENV);
    expect(replay.out).toContain("re-emitted 1 object(s)");
    const drained = await runSluice([...trial.globals, "run"], FAN_OUT_ENV);

    expect({ code: drained.code, err: drained.err }).toMatchObject({ code: EXIT.ok });
    expect(Object.values(await trial.rawObjectStates())).toEqual(["loaded"]);
    const loaded = (await journalEntries(trial.stateDir)).filter(
      ({ event }) => event.type === "sluice.object.loaded",
    );
    expect(loaded.length).toBeGreaterThanOrEqual(1 + DUPLICATES);
    expect(
      loaded.filter(({ event }) => !("alreadyLoaded" in event.data && event.data.alreadyLoaded)),
    ).toHaveLength(1);
    const [clicks] = await trial.sql<Record<string, unknown>>(
      "select count(*) as n, count(distinct event_id) as events from clicks",
    );
    expect([clicks!.n, clicks!.events].map(Number)).toEqual([FANNED_OUT_ROWS, FANNED_OUT_ROWS]);
  });
});
