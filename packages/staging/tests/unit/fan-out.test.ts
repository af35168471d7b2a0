import { gunzipSync, gzipSync } from "node:zlib";
import {
  type DatasetContract,
  parseStagingManifest,
  runPartsKeysOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { splitObject, stageRequestedPart } from "../../src/parts";
import {
  lines,
  ordersContract,
  RAW_BUCKET,
  receivedEvent,
  STAGING_BUCKET,
  stage,
  testDeps,
} from "../../src/testing/fixtures";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";

/** `count` orders, a quoted note with a line break in every third, a bad status where `bad(n)`. */
function ordersCsv(count: number, bad: (n: number) => boolean = () => false): string {
  const rows = [HEADER];
  for (let n = 1; n <= count; n++) {
    const note = n % 3 === 0 ? '"two\nlines, quoted"' : "plain";
    rows.push(`${n},${n * 7},${bad(n) ? "lost" : "paid"},${n}.50,EUR,2026-11-27T10:00:00Z,${note}`);
  }
  return lines("\n", ...rows);
}

/** Splits `content` into parts of `partBytes`, then stages the requested parts in `order`. */
async function fanOut(
  contract: DatasetContract,
  content: string | Buffer,
  partBytes: number,
  order: (requests: SluiceEvent<"sluice.part.requested">[]) => SluiceEvent<"sluice.part.requested">[] = (r) =>
    r,
) {
  const deps = testDeps();
  const key = "orders/big.csv";
  deps.store.seed(RAW_BUCKET, key, content);
  const event = receivedEvent(contract, key, { size: Buffer.byteLength(content) });
  const split = await splitObject(event, contract, deps, { minBytes: 1, partBytes });
  const requests = deps.publisher.events.filter(
    (e): e is SluiceEvent<"sluice.part.requested"> => e.type === "sluice.part.requested",
  );
  for (const request of order(requests)) await stageRequestedPart(request, contract, deps);
  const types = deps.publisher.events.map((e) => e.type);
  const run = stagingKeysOf(contract.name, event.data.runId);
  return { deps, event, split, requests, types, run };
}

/** The rows a run's manifest lists, decompressed and joined in part order. */
function rowsOfParts(deps: ReturnType<typeof testDeps>, manifestKey: string): string {
  const parsed = parseStagingManifest(deps.store.bytes(STAGING_BUCKET, manifestKey)!.toString());
  if (!parsed.ok) throw new Error(parsed.problem);
  return (parsed.manifest.parts ?? [])
    .map((part) => gunzipSync(deps.store.bytes(STAGING_BUCKET, part.rowsKey)!).toString())
    .join("");
}

describe("fanning an object out over parts", () => {
  it("stages the same rows, lines and rejections as the single pass, whatever order the parts finish in", async () => {
    const contract = ordersContract({ quarantine: { maxBadRowRatio: 0.5 } });
    const content = ordersCsv(400, (n) => n % 37 === 0);
    const whole = await stage(contract, content);

    const { deps, split, requests, types, run } = await fanOut(contract, content, 2048, (r) =>
      [...r].reverse(),
    );

    expect(split).toEqual({ status: "split", parts: requests.length });
    expect(requests.length).toBeGreaterThan(5);
    expect(requests.at(-1)?.data.last).toBe(true);
    expect(types[0]).toBe("sluice.object.split");
    expect(types.filter((t) => t === "sluice.object.staged")).toHaveLength(1);
    expect(types.filter((t) => t === "sluice.part.staged")).toHaveLength(requests.length);
    expect(rowsOfParts(deps, run.manifestKey)).toBe(whole.rows());
    expect(deps.store.bytes(STAGING_BUCKET, run.rejectsKey)?.toString()).toBe(
      whole.deps.store.bytes(STAGING_BUCKET, whole.keys.rejectsKey)?.toString(),
    );
    const staged = deps.publisher.events.find(
      (e) => e.type === "sluice.object.staged",
    ) as SluiceEvent<"sluice.object.staged">;
    expect(staged.data).toMatchObject({
      counts: { rows: 400, staged: 390, rejected: 10 },
      parts: requests.length,
    });
  });

  it("applies the bad-row ratio to the whole file, not to a part: bad rows crowded in one part stage", async () => {
    // 40 bad rows of 400 is 10%, within 15%; the first part alone holds far more than 15% bad.
    const contract = ordersContract({ quarantine: { maxBadRowRatio: 0.15 } });
    const { types } = await fanOut(
      contract,
      ordersCsv(400, (n) => n <= 40),
      2048,
    );
    expect(types).toContain("sluice.object.staged");
    expect(types).not.toContain("sluice.object.quarantined");
  });

  it("quarantines the whole file once its rejections together pass the ratio, with the run's rejects", async () => {
    const contract = ordersContract({ quarantine: { maxBadRowRatio: 0.05 } });
    const content = ordersCsv(400, (n) => n % 10 === 0);
    const whole = await stage(contract, content, { key: "orders/big.csv" });
    const { deps, types, run } = await fanOut(contract, content, 2048);
    expect(types).not.toContain("sluice.object.staged");
    const quarantined = deps.publisher.events.filter((e) => e.type === "sluice.object.quarantined");
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]!.data).toMatchObject({
      reason: "bad-row-ratio",
      counts: { rows: 400, rejected: 40 },
      rejectsKey: run.rejectsKey,
    });
    expect(quarantined[0]!.data).toEqual(whole.deps.publisher.events[0]!.data);
    expect(deps.store.bytes(STAGING_BUCKET, run.manifestKey)).toBeUndefined();
  });

  it("quarantines the run when one part's content cannot load, and skips the parts still to come", async () => {
    const contract = ordersContract();
    // Past the first bytes the format is sniffed from.
    const good = Buffer.from(ordersCsv(3000));
    const at = 100_000;
    const broken = Buffer.concat([good.subarray(0, at), Buffer.from([0xff, 0xfe]), good.subarray(at + 2)]);

    const { deps, types, event } = await fanOut(contract, broken, 8192);

    expect(types).not.toContain("sluice.object.staged");
    const quarantined = deps.publisher.events.filter((e) => e.type === "sluice.object.quarantined");
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0]!.data).toMatchObject({
      reason: "not-utf8",
      message:
        "s3://raw/orders/big.csv: content is not valid UTF-8 at byte offset 100000 (of the decompressed content)",
    });
    const keys = runPartsKeysOf(contract.name, event.data.runId, event.id);
    expect(deps.store.bytes(STAGING_BUCKET, keys.quarantineKey)).toBeDefined();
    // Parts after the bad one were never staged.
    const partsStaged = types.filter((t) => t === "sluice.part.staged").length;
    const requested = types.filter((t) => t === "sluice.part.requested").length;
    expect(partsStaged).toBeLessThan(requested - 1);
  });

  it("a part delivered twice stages once more to the same keys, and the run is staged with the same manifest", async () => {
    const contract = ordersContract();
    const { deps, requests, run } = await fanOut(contract, ordersCsv(200), 2048);
    const first = deps.store.bytes(STAGING_BUCKET, run.manifestKey)!.toString();
    await stageRequestedPart(requests[1]!, contract, deps);
    const again = deps.store.bytes(STAGING_BUCKET, run.manifestKey)!.toString();
    expect(again).toBe(first);
  });

  it("does not split gzip, and says why", async () => {
    const contract = ordersContract();
    const deps = testDeps();
    const content = gzipSync(ordersCsv(300));
    deps.store.seed(RAW_BUCKET, "orders/big.csv.gz", content);
    const event = receivedEvent(contract, "orders/big.csv.gz", { size: content.length });

    const split = await splitObject(event, contract, deps, { minBytes: 1, partBytes: 256 });

    expect(split).toEqual({ status: "one-pass", unsplitReason: "gzip cannot be split by byte range" });
    expect(deps.publisher.events).toHaveLength(0);
  });
});
