import type { Readable } from "node:stream";
import {
  LINEAGE_RUN_ID_COLUMN,
  type LoadTarget,
  type QueryResult,
  type SqlSession,
  STAGED_LINE_COLUMN,
} from "@sluice/core";
import type { Context } from "aws-lambda";
import { createLoaderHandler, type LoaderConfig, loadSplitRun, loadStagedRun } from "../../src";
import { eventRow, eventsContract } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { partedRun } from "../support/parts";
import { sqsEvent, sqsRecordOf } from "../support/sqs";
import { STAGING_BUCKET } from "../support/staging";
import { targetKinds } from "../support/targets";

/** Short pauses between looks for the next part, so the tests wait on conditions, not on the clock. */
const QUICK_POLLS: Partial<LoaderConfig> = { earlyStartPollMs: 10, earlyStartMaxPollMs: 50 };

/** A target that tells when each COPY statement of its sessions has finished. */
class CopyWatchTarget implements LoadTarget {
  readonly finished: number[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  constructor(private readonly inner: LoadTarget) {}

  /** Resolves once `count` COPY statements have finished. */
  copied(count: number): Promise<void> {
    if (this.finished.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.inner.transaction((session) =>
      work({
        query: (text, params) => session.query(text, params),
        copyFrom: async (copySql: string, source: Readable) => {
          const rows = await session.copyFrom(copySql, source);
          this.finished.push(rows);
          for (const waiter of this.#waiters.filter((w) => w.count <= this.finished.length)) waiter.resolve();
          return rows;
        },
      }),
    );
  }

  query<Row = Record<string, unknown>>(text: string, params?: unknown[]): Promise<QueryResult<Row>> {
    return this.inner.query<Row>(text, params);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** `sluice.object.split`: the loader starts a fanned-out run's load early and copies parts as they come. */
describe.each(targetKinds("load_early_start"))("early start of a parted run against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("parts are copied as they are staged, the run loads once, and its staged event then finds it loaded", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const watch = new CopyWatchTarget(fx.target);
    const { store, publisher, deps } = fx.ports(contract, watch);
    const run = partedRun(store, contract, [[eventRow(1), eventRow(2)], [eventRow(3)]]);
    await run.writePart(0);

    const loading = loadSplitRun(run.split, { ...deps, config: QUICK_POLLS });
    await watch.copied(1);
    const part1WhenPart0Copied = await store.head(STAGING_BUCKET, run.keys.part(1).manifestKey);
    await run.writePart(1);
    await run.writePlan();
    await run.writeManifest();
    const outcome = await loading;
    const staged = await loadStagedRun(run.staged, deps);

    expect(part1WhenPart0Copied).toBeUndefined();
    expect(watch.finished).toEqual([2, 1]);
    expect(outcome).toMatchObject({ status: "loaded", inserted: 3, alreadyLoaded: false });
    expect(staged).toMatchObject({ status: "loaded", inserted: 3, alreadyLoaded: true });
    const runId = run.split.data.runId;
    expect(await fx.valuesOf(table, [STAGED_LINE_COLUMN, LINEAGE_RUN_ID_COLUMN, "kind"])).toEqual([
      ["2", runId, "kind-1"],
      ["3", runId, "kind-2"],
      ["4", runId, "kind-0"],
    ]);
    expect(publisher.events.map((event) => [event.type, event.data])).toMatchObject([
      ["sluice.object.loaded", { runId, inserted: 3, alreadyLoaded: false }],
      ["sluice.object.loaded", { runId, inserted: 3, alreadyLoaded: true }],
    ]);
  });

  test("a staged event delivered while the early start still copies waits for it and ends already loaded", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const watch = new CopyWatchTarget(fx.target);
    const { store, deps } = fx.ports(contract, watch);
    const run = partedRun(store, contract, [[eventRow(1)], [eventRow(2)]]);
    await run.writePart(0);
    const loading = loadSplitRun(run.split, { ...deps, config: QUICK_POLLS });
    await watch.copied(1);
    await run.writePart(1);
    await run.writePlan();
    await run.writeManifest();

    const [early, staged] = await Promise.all([loading, loadStagedRun(run.staged, deps)]);

    expect(early).toMatchObject({ status: "loaded", inserted: 2, alreadyLoaded: false });
    expect(staged).toMatchObject({ alreadyLoaded: true, inserted: 2 });
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(2);
  });

  test("a run quarantined while its parts are staged rolls back: nothing loaded, no loaded event", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const watch = new CopyWatchTarget(fx.target);
    const { store, publisher, deps } = fx.ports(contract, watch);
    const run = partedRun(store, contract, [[eventRow(1)], [eventRow(2)]]);
    await run.writePart(0);
    const loading = loadSplitRun(run.split, { ...deps, config: QUICK_POLLS });
    await watch.copied(1);

    await run.writeQuarantined();
    const outcome = await loading;

    expect(outcome).toMatchObject({ status: "not-loaded", reason: "quarantined" });
    expect(await fx.valuesOf(table, ["kind"])).toEqual([]);
    expect(await fx.ledgerEntry(run.split.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });

  test("a wait past the invocation's deadline rolls back and acks, and the staged event loads the run later", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, publisher, logger, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [[eventRow(1)], [eventRow(2)]]);
    await run.writePart(0);
    const handler = createLoaderHandler({ ...deps, config: { ...QUICK_POLLS, earlyStartReserveMs: 1_000 } });
    const context = { getRemainingTimeInMillis: () => 1_300 } as Context;

    const response = await handler(sqsEvent([sqsRecordOf(run.split)]), context);

    expect(response.batchItemFailures).toEqual([]);
    expect(await fx.valuesOf(table, ["kind"])).toEqual([]);
    expect(await fx.ledgerEntry(run.split.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: "WARN",
        message: "early start rolled back at its deadline: the run's sluice.object.staged event loads it",
      }),
    );

    await run.writePart(1);
    await run.writePlan();
    await run.writeManifest();
    const staged = await loadStagedRun(run.staged, deps);

    expect(staged).toMatchObject({ inserted: 2, alreadyLoaded: false });
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(2);
  });

  test("a redelivered split and the staged event after it leave the rows in once", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [[eventRow(1), eventRow(2)], [eventRow(3)]]);
    await run.writeAll();
    const handler = createLoaderHandler({ ...deps, config: QUICK_POLLS });

    const first = await loadSplitRun(run.split, { ...deps, config: QUICK_POLLS });
    const redelivered = await handler(sqsEvent([sqsRecordOf(run.split)]));
    const staged = await handler(sqsEvent([sqsRecordOf(run.staged)]));

    expect(first).toMatchObject({ status: "loaded", inserted: 3, alreadyLoaded: false });
    expect(redelivered.batchItemFailures).toEqual([]);
    expect(staged.batchItemFailures).toEqual([]);
    expect(await fx.valuesOf(table, ["kind"])).toHaveLength(3);
    expect(await fx.ledgerEntry(run.split.data.runId)).toMatchObject({ status: "loaded", inserted: 3 });
    expect(publisher.events.map((event) => event.data)).toMatchObject([
      { alreadyLoaded: false, inserted: 3 },
      { alreadyLoaded: true, inserted: 3 },
    ]);
  });
});
