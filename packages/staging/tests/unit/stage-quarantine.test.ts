import { gzipSync } from "node:zlib";
import type { SluiceEvent } from "@sluice/core";
import { lines, ordersContract, STAGING_BUCKET, stage } from "../../src/testing/fixtures";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";
const good = (id: number) => `${id},10,paid,1.00,EUR,2026-11-27T10:00:00Z,`;
const bad = (id: number) => `${id},10,lost,1.00,EUR,2026-11-27T10:00:00Z,`;

function quarantined(result: { deps: { publisher: { events: SluiceEvent[] } } }) {
  const events = result.deps.publisher.events;
  expect(events.map((e) => e.type)).toEqual(["sluice.object.quarantined"]);
  return events[0] as SluiceEvent<"sluice.object.quarantined">;
}

describe("stageStream quarantine", () => {
  it("quarantines a header missing a required column, naming it, and writes no manifest", async () => {
    // prepare
    const csv = lines(
      "\n",
      "order_id,status,amount,currency,ordered_at",
      "1,paid,1.00,EUR,2026-11-27T10:00:00Z",
    );

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    const event = quarantined(result);
    expect(event.source).toBe("sluice/transform");
    expect(event.data.reason).toBe("missing-column");
    expect(event.data.message).toContain("customer_id");
    expect(result.outcome.status).toBe("quarantined");
    expect(result.deps.store.keys(STAGING_BUCKET)).toEqual([]);
  });

  it("quarantines content that is not UTF-8 with the byte offset of the first bad byte", async () => {
    // prepare: "café" in Latin-1 puts 0xE9 right after `caf`
    const head = Buffer.from(`${lines("\n", HEADER)}1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,caf`);
    const content = Buffer.concat([head, Buffer.from([0xe9]), Buffer.from("\n")]);

    // act
    const plain = await stage(ordersContract(), content, { chunkSize: 16 });
    const gzipped = await stage(ordersContract(), gzipSync(content));

    // assert
    for (const result of [plain, gzipped]) {
      const event = quarantined(result);
      expect(event.data.reason).toBe("not-utf8");
      expect(event.data.message).toContain(`byte offset ${head.length}`);
      expect(result.manifest()).toBeUndefined();
    }
  });

  it("quarantines a file cut in the middle of a multi-byte character", async () => {
    // prepare
    const content = Buffer.concat([Buffer.from(lines("\n", HEADER)), Buffer.from("€").subarray(0, 2)]);

    // act
    const result = await stage(ordersContract(), content);

    // assert
    expect(quarantined(result).data.message).toContain(
      `byte offset ${Buffer.byteLength(lines("\n", HEADER))}`,
    );
  });

  it("quarantines when rejected rows exceed the contract's bad-row ratio, quoting the first rejections", async () => {
    // prepare: 3 of 5 rows bad, ratio 0.6 > 0.5
    const csv = lines("\n", HEADER, good(1), bad(2), bad(3), good(4), bad(5));

    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 0.5 } }), csv, {
      config: { firstRejectionsInEvent: 2 },
    });

    // assert
    const event = quarantined(result);
    expect(event.data.reason).toBe("bad-row-ratio");
    expect(event.data.counts).toEqual({ rows: 5, staged: 2, rejected: 3 });
    expect(event.data.firstRejections.map((r) => r.line)).toEqual([3, 4]);
    expect(event.data.rejectsKey).toBe(result.keys.rejectsKey);
    expect(result.rejects()!.map((r) => r.line)).toEqual([3, 4, 6]);
    expect(result.manifest()).toBeUndefined();
  });

  it("stages a file whose bad-row ratio equals the contract's limit", async () => {
    // prepare: 1 of 2 rows bad, ratio 0.5, not greater than 0.5
    const csv = lines("\n", HEADER, good(1), bad(2));

    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 0.5 } }), csv);

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.manifest()).toMatchObject({ counts: { rows: 2, staged: 1, rejected: 1 } });
  });

  it("quarantines on a single rejected row when the contract allows none", async () => {
    // act
    const result = await stage(
      ordersContract({ quarantine: { maxBadRowRatio: 0 } }),
      lines("\n", HEADER, good(1), bad(2)),
    );

    // assert
    expect(quarantined(result).data.reason).toBe("bad-row-ratio");
  });

  it("stages an object with a header and no rows as zero rows", async () => {
    // act
    const result = await stage(ordersContract({ quarantine: { maxBadRowRatio: 0 } }), lines("\n", HEADER));

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe("");
    expect(result.manifest()).toMatchObject({ counts: { rows: 0, staged: 0, rejected: 0 } });
  });

  it("quarantines CSV with a quote that never closes, naming the line it opens on", async () => {
    // prepare
    const csv = lines(
      "\n",
      HEADER,
      good(1),
      '2,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"never closed',
      good(3),
    );

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    const event = quarantined(result);
    expect(event.data.reason).toBe("malformed-csv");
    expect(event.data.message).toContain("line 3");
    expect(result.manifest()).toBeUndefined();
  });

  it("quarantines a record longer than the configured limit", async () => {
    // prepare
    const csv = lines("\n", HEADER, `1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,${"x".repeat(5000)}`);

    // act
    const result = await stage(ordersContract(), csv, { config: { maxRecordChars: 1000 } });

    // assert
    expect(quarantined(result).data.reason).toBe("record-too-large");
  });

  it("quarantines a zip archive as the wrong format and corrupt gzip as corrupt-gzip", async () => {
    // prepare
    const zip = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 7)]);
    const corrupt = Buffer.concat([
      gzipSync(lines("\n", HEADER, good(1))).subarray(0, 12),
      Buffer.alloc(40, 0xff),
    ]);

    // act
    const zipResult = await stage(ordersContract(), zip);
    const gzipResult = await stage(ordersContract(), corrupt);

    // assert
    expect(quarantined(zipResult).data.reason).toBe("wrong-format");
    expect(quarantined(zipResult).data.message).toContain("zip archive");
    expect(quarantined(gzipResult).data.reason).toBe("corrupt-gzip");
  });
});
