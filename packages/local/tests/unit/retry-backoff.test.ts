import { join } from "node:path";
import { FunctionHost, LocalQueue, ManualClock, retryDelayOf } from "../../src";
import { runClockUntil, tempDir } from "../helpers";

const POLL_INTERVAL_MS = 20;

describe("retryDelayOf", () => {
  const queue = { settings: { visibilityTimeoutMs: 60_000, maxReceiveCount: 6 }, deadLetterQueue: undefined };
  const withDlq = { ...queue, deadLetterQueue: {} as LocalQueue };

  it("doubles the delay at each receive, up to maxRetryDelayMs", () => {
    const backoff = { retryDelayMs: 1000, maxRetryDelayMs: 5000 };

    const delays = [1, 2, 3, 4, 5].map((receives) => retryDelayOf(backoff, queue, receives));

    expect(delays).toEqual([1000, 2000, 4000, 5000, 5000]);
  });

  it("is bounded by the visibility timeout without maxRetryDelayMs, however many receives", () => {
    expect(retryDelayOf({ retryDelayMs: 1000 }, queue, 1000)).toBe(60_000);
  });

  it("leaves the visibility timeout alone without retryDelayMs", () => {
    expect(retryDelayOf({}, queue, 1)).toBeUndefined();
  });

  it("is 0 once the message has used its receives and a DLQ waits for it", () => {
    const backoff = { retryDelayMs: 1000 };

    expect(retryDelayOf(backoff, withDlq, 5)).toBe(16_000);
    expect(retryDelayOf(backoff, withDlq, 6)).toBe(0);
    expect(retryDelayOf(backoff, queue, 6)).toBe(32_000);
  });
});

describe("FunctionHost retry backoff", () => {
  let cleanup: () => Promise<void>;
  let host: FunctionHost;
  let queue: LocalQueue;
  let dlq: LocalQueue;
  let clock: ManualClock;

  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock();
    host = new FunctionHost({ pollIntervalMs: POLL_INTERVAL_MS, clock });
    dlq = await LocalQueue.open(join(dir, "q"), "loads-dlq", { clock });
    queue = await LocalQueue.open(join(dir, "q"), "loads", {
      settings: { visibilityTimeoutMs: 60_000, maxReceiveCount: 5 },
      deadLetterQueue: dlq,
      clock,
    });
  });
  afterEach(async () => {
    await host.stop();
    await cleanup();
  });

  it("retries a failing message after 100, 200, 400, 400 ms, then dead-letters it at once", async () => {
    const calls: number[] = [];
    await queue.send("database down");
    await host.register({
      name: "loader",
      queue,
      settings: { retryDelayMs: 100, maxRetryDelayMs: 400 },
      createHandler: () => async () => {
        calls.push(clock.now());
        throw new Error("database unavailable");
      },
    });

    host.start();
    await runClockUntil(clock, async () => (await dlq.counts()).visible === 1, "message in DLQ");

    const gaps = calls.slice(1).map((at, i) => at - calls[i]!);
    expect(gaps).toHaveLength(4);
    [100, 200, 400, 400].forEach((delay, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(delay);
      expect(gaps[i]).toBeLessThanOrEqual(delay + POLL_INTERVAL_MS);
    });
    expect(clock.now() - calls.at(-1)!).toBeLessThanOrEqual(POLL_INTERVAL_MS);
    expect((await dlq.messages())[0]).toMatchObject({ body: "database down", receiveCount: 5 });
  });

  it("a message whose cause goes away within the backoff is processed, not dead-lettered", async () => {
    let available = false;
    await queue.send("load me");
    await host.register({
      name: "loader",
      queue,
      settings: { retryDelayMs: 100, maxRetryDelayMs: 400 },
      createHandler: () => async () => {
        if (!available) throw new Error("database unavailable");
      },
    });
    host.start();
    // Receives at 0, 100 and 300 ms fail; the database is back at 650 and the 4th, at 700, loads.
    // Retried every 100 ms instead, the message would have used its 5 receives by 400 ms.
    clock.sleep(650).then(() => {
      available = true;
    });

    await runClockUntil(clock, async () => {
      const counts = await queue.counts();
      return counts.visible + counts.inFlight === 0 && host.activeInvocations() === 0;
    });

    expect(await dlq.counts()).toEqual({ visible: 0, inFlight: 0 });
  });
});
