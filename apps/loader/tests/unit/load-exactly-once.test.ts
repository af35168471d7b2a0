import { dispositionOf } from "@sluice/core";
import { MemoryObjectStore } from "@sluice/local";
import { ChecksumMismatchError, loadStagedRun, StagedRunMismatchError } from "../../src";
import { useLoadFixture } from "../support/load-fixture";
import { orderRow, ordersContract, STAGING_BUCKET, stageRun } from "../support/staging";
import { CrashAfterCopyTarget, InjectedCrash, targetKinds } from "../support/targets";

/**
 * What makes a load exactly once and safe: the ledger, one transaction, and refusing staged
 * output that is not what its manifest (or the contract) says.
 */
describe.each(targetKinds("load_exactly_once"))("loadStagedRun, exactly once, against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("a first load creates the table, inserts every row, records the ledger and publishes object.loaded", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const rows = [orderRow(1), orderRow(2, { note: null }), orderRow(3, { note: "" })];
    const event = await stageRun(store, contract, rows);

    const outcome = await loadStagedRun(event, deps);

    expect(outcome).toMatchObject({
      inserted: 3,
      updated: 0,
      unchanged: 0,
      rowsStaged: 3,
      alreadyLoaded: false,
    });
    const loaded = await fx.rowsOf(table);
    expect(loaded.map((row) => [String(row.order_id), row.status, String(row.amount), row.note])).toEqual([
      ["1", "paid", "1.50", 'note, "quoted"\nline two of 1'],
      ["2", "paid", "2.50", null],
      ["3", "paid", "3.50", ""],
    ]);
    const entry = await fx.ledgerEntry(event.data.runId);
    expect(entry).toMatchObject({
      status: "loaded",
      rowsStaged: 3,
      inserted: 3,
      updated: 0,
      unchanged: 0,
      attempts: 1,
    });
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.loaded",
      source: "sluice/loader",
      data: {
        runId: event.data.runId,
        dataset: "orders",
        inserted: 3,
        updated: 0,
        unchanged: 0,
        alreadyLoaded: false,
      },
    });
  });

  test("a load run by another process (the legacy-wrapper task) publishes under that process's source", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1)]);

    await loadStagedRun(event, { ...deps, source: "sluice/legacy-wrapper" });

    expect(publisher.events).toMatchObject([
      { type: "sluice.object.loaded", source: "sluice/legacy-wrapper", data: { inserted: 1 } },
    ]);
  });

  test("a redelivered event changes nothing, logs that the run is already loaded, and republishes the original counts", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, publisher, logger, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    await loadStagedRun(event, deps);
    const before = await fx.rowsOf(table);

    const again = await loadStagedRun(event, deps);

    expect(again).toMatchObject({ alreadyLoaded: true, inserted: 2, updated: 0, unchanged: 0 });
    expect(await fx.rowsOf(table)).toEqual(before);
    expect(logger.lines.map((line) => line.message)).toContain(
      "already loaded: this delivery changed nothing",
    );
    expect(publisher.events[1]).toMatchObject({
      type: "sluice.object.loaded",
      data: { alreadyLoaded: true, inserted: 2, updated: 0, unchanged: 0 },
    });
    const entry = await fx.ledgerEntry(event.data.runId);
    expect(entry).toMatchObject({ status: "loaded", inserted: 2, attempts: 2 });
  });

  test("a crash between COPY and commit leaves nothing half-loaded, and the retry loads fully", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const rows = Array.from({ length: 500 }, (_, i) => orderRow(i + 1));
    const crashing = fx.ports(contract, new CrashAfterCopyTarget(fx.target));
    const event = await stageRun(crashing.store, contract, rows);

    await expect(loadStagedRun(event, crashing.deps)).rejects.toBeInstanceOf(InjectedCrash);

    expect(await fx.tableExists(table)).toBe(false);
    const entry = await fx.ledgerEntry(event.data.runId);
    expect(entry).toBeUndefined();
    expect(crashing.publisher.events).toHaveLength(0);

    const retry = await loadStagedRun(event, { ...crashing.deps, target: fx.target });

    expect(retry).toMatchObject({ inserted: 500, updated: 0, unchanged: 0, alreadyLoaded: false });
    expect(await fx.rowsOf(table)).toHaveLength(500);
    const after = await fx.ledgerEntry(event.data.runId);
    expect(after).toMatchObject({ status: "loaded", inserted: 500, attempts: 1 });
  });

  test("staged rows whose SHA-256 differs from the manifest are refused and nothing is loaded", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    const donor = new MemoryObjectStore();
    const other = await stageRun(donor, contract, [orderRow(1), orderRow(2, { amount: "0.01" })]);
    const forged = donor.bytes(STAGING_BUCKET, other.data.staged.rowsKey)!;
    await store.put(STAGING_BUCKET, event.data.staged.rowsKey, forged);

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(dispositionOf(error)).toBe("retry");
    expect((error as Error).message).toContain(event.data.staged.rowsKey);
    expect((error as Error).message).toContain("SHA-256");
    expect(await fx.tableExists(table)).toBe(false);
    expect(await fx.ledgerEntry(event.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });

  test("a manifest whose columns differ from the contract is refused for the dead-letter queue", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1)], {
      manifestColumns: ["order_id", "status", "customer_id", "amount", "currency", "ordered_at", "note"],
    });

    const error = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(StagedRunMismatchError);
    expect(dispositionOf(error)).toBe("dead-letter");
    expect(await fx.tableExists(table)).toBe(false);
  });

  test("a manifest that is not JSON or lacks a field is refused for the dead-letter queue, naming the field", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1)]);
    const { manifestKey } = event.data.staged;
    const manifest = JSON.parse(store.bytes(STAGING_BUCKET, manifestKey)!.toString("utf8"));
    delete manifest.counts.staged;

    await store.put(STAGING_BUCKET, manifestKey, JSON.stringify(manifest));
    const lacking = await loadStagedRun(event, deps).catch((e: unknown) => e);
    await store.put(STAGING_BUCKET, manifestKey, "{ not json");
    const garbled = await loadStagedRun(event, deps).catch((e: unknown) => e);

    expect(lacking).toBeInstanceOf(StagedRunMismatchError);
    expect(dispositionOf(lacking)).toBe("dead-letter");
    expect((lacking as Error).message).toContain(`${manifestKey} field counts.staged`);
    expect(lacking).toMatchObject({ context: { key: manifestKey, field: "counts.staged" } });
    expect(garbled).toBeInstanceOf(StagedRunMismatchError);
    expect((garbled as Error).message).toContain(`${manifestKey} is not valid JSON`);
    expect(await fx.tableExists(table)).toBe(false);
    expect(await fx.ledgerEntry(event.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });

  test("a replay under a changed contract merges the run again, and the event says it was reloaded", async () => {
    const table = fx.freshTable();
    const v1 = ordersContract(table);
    const first = fx.ports(v1);
    const rows = [orderRow(1), orderRow(2)];
    const event = await stageRun(first.store, v1, rows, { key: "orders/replayed.csv", eTag: "r1" });
    await loadStagedRun(event, first.deps);
    const v2 = ordersContract(table, {
      version: 2,
      fields: [...v1.fields, { name: "channel", type: "string" }],
    });
    const second = fx.ports(v2);
    const replay = await stageRun(
      second.store,
      v2,
      [
        [...orderRow(1), "web"],
        [...orderRow(2), null],
      ],
      {
        key: "orders/replayed.csv",
        eTag: "r1",
      },
    );

    const outcome = await loadStagedRun(replay, second.deps);
    const redelivered = await loadStagedRun(replay, second.deps);

    expect(outcome).toMatchObject({ reloaded: true, alreadyLoaded: false, updated: 1, unchanged: 1 });
    expect(second.publisher.events[0]).toMatchObject({
      data: { reloaded: true, previousContractVersion: 1 },
    });
    expect(redelivered).toMatchObject({ alreadyLoaded: true, reloaded: false });
    expect(await fx.ledgerEntry(event.data.runId)).toMatchObject({ status: "loaded", contractVersion: 2 });
    expect(await fx.valuesOf(table, ["order_id", "channel"])).toEqual([
      ["1", "web"],
      ["2", null],
    ]);
  });

  test("a ledger written before contract fingerprints gains its new columns, and its loaded runs stay loaded", async () => {
    const schema = `old_ledger_${fx.nextTableNumber()}`;
    await fx.target.query(`CREATE SCHEMA ${schema}`);
    await fx.target.query(`CREATE TABLE ${schema}.load_ledger (
      run_id text PRIMARY KEY, dataset text NOT NULL, object_bucket text NOT NULL, object_key text NOT NULL,
      object_version_id text, object_etag text, target_table text NOT NULL, contract_version integer NOT NULL,
      status text NOT NULL CHECK (status IN ('pending', 'loaded')), rows_staged bigint, inserted bigint,
      updated bigint, unchanged bigint, attempts integer NOT NULL DEFAULT 0,
      first_seen_at timestamptz NOT NULL DEFAULT now(), loaded_at timestamptz)`);
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const event = await stageRun(store, contract, [orderRow(1)]);
    await fx.target.query(
      `INSERT INTO ${schema}.load_ledger (run_id, dataset, object_bucket, object_key, target_table, contract_version, status, rows_staged, inserted, updated, unchanged, attempts, loaded_at)
       VALUES ($1, 'orders', 'b', 'k', $2, 1, 'loaded', 1, 1, 0, 0, 1, now())`,
      [event.data.runId, `public.${table}`],
    );

    const outcome = await loadStagedRun(event, { ...deps, config: { ledgerSchema: schema } });

    expect(outcome).toMatchObject({ alreadyLoaded: true, inserted: 1 });
    const columns = await fx.target.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'load_ledger'",
      [schema],
    );
    expect(columns.rows.map((row) => row.column_name)).toEqual(
      expect.arrayContaining(["contract_hash", "deleted", "repeats", "rejected", "skipped"]),
    );
  });
});
