import { dispositionOf, LINEAGE_RUN_ID_COLUMN, STAGED_LINE_COLUMN } from "@sluice/core";
import { ChecksumMismatchError, loadStagedRun } from "../../src";
import { eventRow, eventsContract } from "../support/contracts";
import { useLoadFixture } from "../support/load-fixture";
import { partedRun } from "../support/parts";
import { orderRow, ordersContract, STAGING_BUCKET } from "../support/staging";
import { targetKinds } from "../support/targets";

/** A run fanned out over parts, loaded from its `sluice.object.staged` event: one run, part after part. */
describe.each(targetKinds("load_parts"))("loadStagedRun of a parted run against $name", (kind) => {
  const fx = useLoadFixture(kind);

  test("a parted run loads once, its parts' rows in order with their raw lines, and a redelivery adds nothing", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [
      [eventRow(1), eventRow(2)],
      [eventRow(3)],
      [eventRow(4), eventRow(5, null)],
    ]);
    await run.writeAll();

    const outcome = await loadStagedRun(run.staged, deps);
    const again = await loadStagedRun(run.staged, deps);

    expect(outcome).toMatchObject({ mode: "append", rowsStaged: 5, inserted: 5, alreadyLoaded: false });
    expect(again).toMatchObject({ alreadyLoaded: true, inserted: 5 });
    const runId = run.staged.data.runId;
    expect(await fx.valuesOf(table, [STAGED_LINE_COLUMN, LINEAGE_RUN_ID_COLUMN, "kind", "amount"])).toEqual([
      ["2", runId, "kind-1", "1.25"],
      ["3", runId, "kind-2", "2.25"],
      ["4", runId, "kind-0", "3.25"],
      ["5", runId, "kind-1", "4.25"],
      ["6", runId, "kind-2", null],
    ]);
    expect(await fx.ledgerEntry(runId)).toMatchObject({ status: "loaded", rowsStaged: 5, attempts: 2 });
    expect(publisher.events.map((event) => event.data)).toMatchObject([
      { runId, inserted: 5, alreadyLoaded: false },
      { runId, inserted: 5, alreadyLoaded: true },
    ]);
  });

  test("a key repeated across parts makes the straight COPY give way to the merge, which reads every part again", async () => {
    const table = fx.freshTable();
    const contract = ordersContract(table);
    const { store, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [
      [orderRow(1), orderRow(2)],
      [orderRow(2, { status: "refunded" }), orderRow(3)],
    ]);
    await run.writeAll();

    const outcome = await loadStagedRun(run.staged, deps);

    expect(outcome).toMatchObject({ rowsStaged: 4, inserted: 3, repeats: 1, alreadyLoaded: false });
    expect(await fx.valuesOf(table, ["order_id", "status"])).toEqual([
      ["1", "paid"],
      ["2", "refunded"],
      ["3", "paid"],
    ]);
  });

  test("a part whose bytes differ from its entry is refused for a retry and nothing is committed", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, publisher, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [[eventRow(1)], [eventRow(2)], [eventRow(3)]]);
    await run.writeAll();
    await store.put(STAGING_BUCKET, run.keys.part(2).rowsKey, run.partBytes(1));

    const error = await loadStagedRun(run.staged, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(dispositionOf(error)).toBe("retry");
    expect((error as Error).message).toContain(run.keys.part(2).rowsKey);
    expect(await fx.tableExists(table)).toBe(false);
    expect(await fx.ledgerEntry(run.staged.data.runId)).toBeUndefined();
    expect(publisher.events).toHaveLength(0);
  });

  test("a manifest whose parts do not add up to its counts is refused for a retry before anything is copied", async () => {
    const table = fx.freshTable("events");
    const contract = eventsContract(table);
    const { store, deps } = fx.ports(contract);
    const run = partedRun(store, contract, [[eventRow(1)], [eventRow(2)]]);
    await run.writeAll();
    const manifestKey = run.staged.data.staged.manifestKey;
    const manifest = JSON.parse(store.bytes(STAGING_BUCKET, manifestKey)!.toString("utf8"));
    manifest.counts = { rows: 3, staged: 3, rejected: 0 };
    await store.put(STAGING_BUCKET, manifestKey, JSON.stringify(manifest));

    const error = await loadStagedRun(run.staged, deps).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain("2 rows staged, the run says 3");
    expect(await fx.tableExists(table)).toBe(false);
  });
});
