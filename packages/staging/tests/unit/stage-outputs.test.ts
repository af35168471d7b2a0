import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { contractFingerprint, RetryableError, type SluiceEvent } from "@sluice/core";
import { stageStream } from "../../src";
import {
  FIXED_TIME,
  lines,
  ordersContract,
  RAW_BUCKET,
  receivedEvent,
  registry,
  STAGING_BUCKET,
  stage,
  testDeps,
} from "../../src/testing/fixtures";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";
const CSV = lines(
  "\n",
  HEADER,
  "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,",
  "2,10,lost,1.00,EUR,2026-11-27T10:00:00Z,",
  "3,11,new,2.00,EUR,2026-11-27T10:00:00Z,x",
);
/** Orders with a bad-row limit that lets CSV's one rejected row of three through. */
const contract = ordersContract({ quarantine: { maxBadRowRatio: 0.5 } });

describe("stageStream outputs", () => {
  it("writes rows, rejects and manifest at the run's keys, the manifest last, and publishes object.staged", async () => {
    // act
    const result = await stage(contract, CSV);

    // assert
    const { rowsKey, rejectsKey, manifestKey } = result.keys;
    expect(result.deps.store.puts.at(-1)).toBe(`${STAGING_BUCKET}/${manifestKey}`);
    expect(result.deps.store.keys(STAGING_BUCKET)).toEqual([manifestKey, rejectsKey, rowsKey].sort());
    const rowsBytes = result.deps.store.bytes(STAGING_BUCKET, rowsKey)!;
    expect(result.manifest()).toEqual({
      runId: expect.stringMatching(/^r-[0-9a-f]{32}$/),
      dataset: "orders",
      contractVersion: 1,
      contractHash: contractFingerprint(contract),
      object: {
        bucket: RAW_BUCKET,
        key: "orders/2026/11/27/export.csv",
        size: Buffer.byteLength(CSV),
        eTag: "etag-1",
      },
      route: "lambda",
      producer: "transform",
      columns: [
        "_sluice_line",
        "order_id",
        "customer_id",
        "status",
        "amount",
        "currency",
        "ordered_at",
        "note",
      ],
      format: "csv+gzip",
      counts: { rows: 3, staged: 2, rejected: 1 },
      rowsSha256: createHash("sha256").update(rowsBytes).digest("hex"),
      rowsBytes: rowsBytes.length,
      createdAt: FIXED_TIME.toISOString(),
    });
    const events = result.deps.publisher.events as SluiceEvent<"sluice.object.staged">[];
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe("sluice.object.staged");
    expect(events[0]!.source).toBe("sluice/transform");
    expect(events[0]!.data.staged).toEqual({ bucket: STAGING_BUCKET, rowsKey, rejectsKey, manifestKey });
    expect(events[0]!.data.counts).toEqual({ rows: 3, staged: 2, rejected: 1 });
  });

  it("writes no rejects object for a run without rejections, only rows and manifest", async () => {
    // act
    const clean = await stage(contract, lines("\n", HEADER, "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"));

    // assert
    const { rowsKey, manifestKey } = clean.keys;
    expect(clean.deps.store.keys(STAGING_BUCKET)).toEqual([manifestKey, rowsKey].sort());
    expect(clean.deps.store.puts).toHaveLength(2);
    expect(clean.manifest()).toMatchObject({ counts: { rows: 1, staged: 1, rejected: 0 } });
  });

  it("overwrites the same keys with identical bytes when the same run is staged again", async () => {
    // prepare
    const first = await stage(contract, CSV);
    const before = first.deps.store
      .keys(STAGING_BUCKET)
      .map((key) => first.deps.store.bytes(STAGING_BUCKET, key));

    // act
    await stage(contract, CSV, { deps: first.deps });

    // assert
    const keys = first.deps.store.keys(STAGING_BUCKET);
    expect(keys).toHaveLength(3);
    expect(keys.map((key) => first.deps.store.bytes(STAGING_BUCKET, key))).toEqual(before);
  });

  it("stores the staged rows uncompressed in gzip at level 0, the same rows as at level 1", async () => {
    // prepare: 2,000 alike rows, which level 1 shrinks several times over
    const many = lines(
      "\n",
      HEADER,
      ...Array.from({ length: 2000 }, (_, i) => `${i + 1},10,paid,1.00,EUR,2026-11-27T10:00:00Z,`),
    );

    // act
    const stored = await stage(contract, many, { config: { gzipLevel: 0 } });
    const deflated = await stage(contract, many, { config: { gzipLevel: 1 } });

    // assert
    const size = (result: typeof stored) =>
      result.deps.store.bytes(STAGING_BUCKET, result.keys.rowsKey)!.length;
    expect(stored.rows()).toBe(deflated.rows());
    expect(size(stored)).toBeGreaterThan(Buffer.byteLength(stored.rows()!));
    expect(size(deflated) * 4).toBeLessThan(Buffer.byteLength(deflated.rows()!));
  });

  it("records the legacy wrapper as producer, parses the given format and writes the deployed contract's hash", async () => {
    // prepare: the ledger contract is fixed-width; the legacy program writes CSV, read by field name
    const ledger = registry.get("ledger");
    const csv = { type: "csv", delimiter: ",", quote: '"', header: true } as const;
    const readFromCsv = { ...ledger, format: csv };
    const deps = testDeps();
    const event = receivedEvent(ledger, "ledger/gl.txt", { route: "container" });
    const body = Readable.from([
      Buffer.from("entry_id,account,posted_on,amount,memo\n1,00012345,2026-11-01,5.00,x\n"),
    ]);

    // act
    const outcome = await stageStream(
      {
        event,
        contract: readFromCsv,
        body,
        producer: "legacy-wrapper",
        format: csv,
        contractHash: contractFingerprint(ledger),
      },
      deps,
    );

    // assert
    expect(outcome.status).toBe("staged");
    if (outcome.status !== "staged") return;
    expect(outcome.manifest.producer).toBe("legacy-wrapper");
    expect(outcome.manifest.route).toBe("container");
    expect(outcome.event.source).toBe("sluice/legacy-wrapper");
    expect(contractFingerprint(readFromCsv)).not.toBe(contractFingerprint(ledger));
    expect(outcome.manifest.contractHash).toBe(contractFingerprint(ledger));
  });
});

describe("stageStream failures that are retried", () => {
  it("throws the store's error and publishes nothing when writing the staged rows fails", async () => {
    // prepare
    const deps = testDeps();
    const throttled = new RetryableError("throttled", "SlowDown");
    deps.store.putFault = (_bucket, key) => (key.endsWith("rows.csv.gz") ? throttled : undefined);

    // act
    const staging = stage(contract, CSV, { deps });

    // assert
    await expect(staging).rejects.toBe(throttled);
    expect(deps.publisher.events).toEqual([]);
    expect(deps.store.keys(STAGING_BUCKET, "staged/")).toEqual([]);
  });

  it("throws when the object's stream breaks mid-way instead of quarantining it", async () => {
    // prepare
    const deps = testDeps();
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    const body = Readable.from(
      (async function* () {
        yield Buffer.from(lines("\n", HEADER, "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"));
        throw reset;
      })(),
    );

    // act
    const staging = stageStream(
      { event: receivedEvent(contract, "orders/a.csv"), contract, body, producer: "transform" },
      deps,
    );

    // assert
    await expect(staging).rejects.toBe(reset);
    expect(deps.publisher.events).toEqual([]);
    expect(deps.store.keys(STAGING_BUCKET)).toEqual([]);
  });

  it("throws when publishing the staged event fails, and the retry rewrites the same outputs", async () => {
    // prepare
    const deps = testDeps();
    deps.publisher.fault = new Error("sns unavailable");
    await expect(stage(contract, CSV, { deps })).rejects.toThrow("sns unavailable");
    const keysAfterFailure = deps.store.keys(STAGING_BUCKET);

    // act
    deps.publisher.fault = undefined;
    const retried = await stage(contract, CSV, { deps });

    // assert
    expect(retried.outcome.status).toBe("staged");
    expect(deps.store.keys(STAGING_BUCKET)).toEqual(keysAfterFailure);
    expect(deps.publisher.events).toHaveLength(1);
  });
});
