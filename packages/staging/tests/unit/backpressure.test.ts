import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { setTimeout as sleep } from "node:timers/promises";
import type { PutOptions, PutResult } from "@sluice/core";
import { MemoryObjectStore } from "@sluice/local";
import { stageStream } from "../../src";
import { ordersContract, receivedEvent, testDeps } from "../../src/testing/fixtures";

/** A store whose put of one key does not read its body until `release()` is called. */
class StalledStore extends MemoryObjectStore {
  #release: () => void = () => {};
  readonly #released = new Promise<void>((resolve) => {
    this.#release = resolve;
  });

  constructor(readonly stalledSuffix: string) {
    super();
  }

  release(): void {
    this.#release();
  }

  override async put(
    bucket: string,
    key: string,
    body: Readable | Buffer | string,
    options?: PutOptions,
  ): Promise<PutResult> {
    if (key.endsWith(this.stalledSuffix)) await this.#released;
    return super.put(bucket, key, body, options);
  }
}

const TOTAL_BYTES = 6 * 1024 * 1024;
const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note\n";

/** A lazily generated CSV of about TOTAL_BYTES; `pulled()` says how much the transform has read. */
function generatedCsv(status: string) {
  let pulled = 0;
  const body = Readable.from(
    (function* () {
      yield Buffer.from(HEADER);
      let id = 1;
      while (pulled < TOTAL_BYTES) {
        let chunk = "";
        const noise = randomBytes(500 * 12).toString("hex");
        for (let i = 0; i < 500; i++, id++) {
          // Random notes do not compress, so gzip cannot hide buffered rows.
          chunk += `${id},7,${status},10.00,EUR,2026-11-27T10:00:00Z,${noise.slice(i * 24, i * 24 + 24)}\n`;
        }
        pulled += chunk.length;
        yield Buffer.from(chunk);
      }
    })(),
    { objectMode: false },
  );
  return { body, pulled: () => pulled };
}

describe("stageStream backpressure", () => {
  it.each([
    ["staged rows", "rows.csv.gz", "paid"],
    ["rejects", "rejects.ndjson", "lost"],
  ])(
    "stops reading the object while the store does not read the %s",
    async (_what, suffix, status) => {
      // prepare
      const store = new StalledStore(suffix);
      const deps = testDeps({ store });
      const contract = ordersContract({ quarantine: { maxBadRowRatio: 1 } });
      const source = generatedCsv(status);

      // act
      const staging = stageStream(
        {
          event: receivedEvent(contract, "orders/big.csv"),
          contract,
          body: source.body,
          producer: "transform",
        },
        deps,
      );
      let before = -1;
      while (before !== source.pulled()) {
        before = source.pulled();
        await sleep(100);
      }
      const pulledWhileStalled = source.pulled();
      store.release();
      const outcome = await staging;

      // assert
      expect(pulledWhileStalled).toBeLessThan(2.5 * 1024 * 1024);
      expect(source.pulled()).toBeGreaterThanOrEqual(TOTAL_BYTES);
      expect(outcome.status).toBe("staged");
    },
    60_000,
  );
});
