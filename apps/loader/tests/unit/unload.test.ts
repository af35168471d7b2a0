import { randomUUID } from "node:crypto";
import { contractFingerprint, type DatasetContract } from "@sluice/core";
import {
  ensureTargetTable,
  loadStagedRun,
  qualifiedName,
  splitTableName,
  UnloadRefusedError,
  unloadRun,
} from "../../src";
import { ensureLedger, type LedgerRun, ledgerTableOf, lockRun, markLoaded } from "../../src/ledger";
import { noCounts } from "../../src/strategies/strategy";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/** `sluice unload`'s loader side: a run's rows out of its table, in one transaction with the ledger. */
describe.each(targetKinds("unload"))("unloadRun against $name", (kind) => {
  const fx = useLoadFixture(kind);

  /** An events table without a key (lineage on, as append has it by default). */
  function eventsContract(table: string): DatasetContract {
    return ordersContract(table, {
      name: "events",
      primaryKey: undefined,
      fields: [
        { name: "event_id", type: "integer", required: true },
        { name: "summary", type: "string" },
      ],
    });
  }

  /**
   * A run the loader has loaded: its ledger row `loaded` and its rows in the table, stamped with
   * its run id as lineage has them. `key` is its object's key.
   */
  async function seedLoadedRun(
    contract: DatasetContract,
    key: string,
    ids: number[],
    ledgerSchema = "sluice",
  ) {
    const run: LedgerRun = {
      runId: `r-${randomUUID().replace(/-/g, "")}`,
      dataset: contract.name,
      objectBucket: "sluice-raw-test",
      objectKey: key,
      objectETag: "etag-1",
      table: `public.${contract.table}`,
      contractVersion: contract.version,
      contractHash: contractFingerprint(contract),
    };
    const ledger = ledgerTableOf(ledgerSchema);
    await fx.target.transaction(async (session) => {
      await ensureLedger(session, ledger);
      await ensureTargetTable(session, contract);
      await lockRun(session, ledger, run);
      for (const [line, id] of ids.entries())
        await session.query(
          `INSERT INTO ${qualifiedName(splitTableName(contract.table, "public"))} VALUES ($1, $2, $3, $4)`,
          [id, `event ${id}`, run.runId, line + 1],
        );
      await markLoaded(session, ledger, run, { ...noCounts(ids.length), inserted: ids.length });
    });
    return run.runId;
  }

  async function idsIn(table: string): Promise<number[]> {
    return (await fx.rowsOf(table)).map((row) => Number(row.event_id));
  }

  test("deletes exactly the run's rows, marks its ledger row unloaded and publishes object.unloaded", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const first = await seedLoadedRun(contract, "events/a.csv", [1, 2, 3]);
    const second = await seedLoadedRun(contract, "events/b.csv", [4, 5]);
    const { deps, publisher } = fx.ports(contract);

    const unloaded = await unloadRun(first, deps);

    expect(unloaded).toMatchObject([
      { runId: first, table: `public.${table}`, deleted: 3, dataset: "events" },
    ]);
    expect(await idsIn(table)).toEqual([4, 5]);
    const ledger = await fx.target.query<{
      run_id: string;
      status: string;
      rows_unloaded: string;
      unloaded_at: Date | null;
    }>(
      "SELECT run_id, status, rows_unloaded::text, unloaded_at FROM sluice.load_ledger WHERE run_id = ANY($1) ORDER BY first_seen_at",
      [[first, second]],
    );
    expect(ledger.rows.map((row) => [row.run_id, row.status, row.rows_unloaded])).toEqual([
      [first, "unloaded", "3"],
      [second, "loaded", null],
    ]);
    expect(ledger.rows[0]!.unloaded_at).not.toBeNull();
    expect(publisher.events).toEqual([unloaded[0]!.event]);
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.unloaded",
      subject: "events/a.csv",
      data: {
        runId: first,
        object: { bucket: "sluice-raw-test", key: "events/a.csv", eTag: "etag-1" },
        deleted: 3,
      },
    });
  });

  test("an object key unloads every loaded run of that object", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const older = await seedLoadedRun(contract, "events/same.csv", [1]);
    const newer = await seedLoadedRun(contract, "events/same.csv", [2, 3]);
    await seedLoadedRun(contract, "events/other.csv", [4]);
    const { deps } = fx.ports(contract);

    const unloaded = await unloadRun("events/same.csv", deps);

    expect(unloaded.map((run) => [run.runId, run.deleted])).toEqual([
      [older, 1],
      [newer, 2],
    ]);
    expect(await idsIn(table)).toEqual([4]);
  });

  test("refuses an unknown run, a run not loaded (or unloaded already) and a table without lineage, changing nothing", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const runId = await seedLoadedRun(contract, "events/once.csv", [1, 2]);
    const { deps, publisher } = fx.ports(contract);
    await unloadRun(runId, deps);
    const untraced = fx.freshTable();
    const merged = ordersContract(untraced);
    const merge = fx.ports(merged);
    const staged = await stageRun(merge.store, merged, [orderRow(1)]);
    await loadStagedRun(staged, merge.deps);

    const unknown = await unloadRun(`r-${"0".repeat(32)}`, deps).catch((e: unknown) => e);
    const again = await unloadRun(runId, deps).catch((e: unknown) => e);
    const noLineage = await unloadRun(staged.data.runId, merge.deps).catch((e: unknown) => e);

    expect(unknown).toBeInstanceOf(UnloadRefusedError);
    expect(unknown).toMatchObject({ code: "unknown-run" });
    expect(again).toMatchObject({ code: "not-loaded" });
    expect((again as Error).message).toContain(`run ${runId} is unloaded`);
    expect(noLineage).toMatchObject({ code: "no-lineage", context: { table: `public.${untraced}` } });
    expect((noLineage as Error).message).toMatch(/has no _sluice_run_id column/);
    expect(await fx.rowsOf(untraced)).toHaveLength(1);
    expect(await fx.ledgerEntry(staged.data.runId)).toMatchObject({ status: "loaded" });
    expect(publisher.types()).toEqual(["sluice.object.unloaded"]);
  });

  test("a run unloaded is loaded again by its next delivery", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table, { load: { lineage: true } });
    const { store, deps } = fx.ports(contract);
    const staged = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    await loadStagedRun(staged, deps);
    await unloadRun(staged.data.runId, deps);

    const reloaded = await loadStagedRun(staged, deps);

    expect(reloaded.alreadyLoaded).toBe(false);
    expect((await fx.rowsOf(table)).map((row) => String(row.order_id))).toEqual(["1", "2"]);
    expect(await fx.ledgerEntry(staged.data.runId)).toMatchObject({ status: "loaded" });
  });

  test("brings a ledger made before unloads existed up to date", async () => {
    const schema = `old_ledger_${fx.nextTableNumber()}`;
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    await fx.target.query(`CREATE SCHEMA ${schema}`);
    await fx.target.query(`CREATE TABLE ${schema}.load_ledger (
      run_id text PRIMARY KEY, dataset text NOT NULL, object_bucket text NOT NULL, object_key text NOT NULL,
      object_version_id text, object_etag text, target_table text NOT NULL, contract_version integer NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'loaded')), rows_staged bigint, inserted bigint,
      updated bigint, unchanged bigint, attempts integer NOT NULL DEFAULT 0,
      first_seen_at timestamptz NOT NULL DEFAULT now(), loaded_at timestamptz)`);
    const runId = await seedLoadedRun(contract, "events/old.csv", [1], schema);
    const { deps } = fx.ports(contract);

    const unloaded = await unloadRun(runId, { ...deps, config: { ledgerSchema: schema } });

    expect(unloaded).toMatchObject([{ runId, deleted: 1 }]);
    const row = await fx.target.query<{ status: string }>(`SELECT status FROM ${schema}.load_ledger`);
    expect(row.rows).toEqual([{ status: "unloaded" }]);
  });
});
