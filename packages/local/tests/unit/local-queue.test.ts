import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LocalQueue, ManualClock } from "../../src";
import { nextTurn, tempDir } from "../helpers";

/** The module object itself (a namespace import is a copy under Jest's CommonJS): spies on it reach the code under test. */
const fsp: typeof import("node:fs/promises") = require("node:fs/promises");

describe("LocalQueue", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clock: ManualClock;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock();
  });
  afterEach(() => cleanup());

  async function queueWithDlq(settings: { visibilityTimeoutMs: number; maxReceiveCount: number }) {
    const dlq = await LocalQueue.open(dir, "work-dlq", { clock });
    const queue = await LocalQueue.open(dir, "work", { settings, deadLetterQueue: dlq, clock });
    return { queue, dlq };
  }

  it("delivers messages oldest first in batches no larger than asked", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 3 });
    for (let i = 0; i < 5; i++) await queue.send(`m${i}`);

    const first = await queue.receive(3);
    const second = await queue.receive(3);

    expect(first.map((m) => m.body)).toEqual(["m0", "m1", "m2"]);
    expect(second.map((m) => m.body)).toEqual(["m3", "m4"]);
    expect(first[0]!.attributes.ApproximateReceiveCount).toBe("1");
  });

  it("hides a received message until its visibility timeout passes, then delivers it again with a higher receive count", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 80, maxReceiveCount: 5 });
    await queue.send("hello");
    const [first] = await queue.receive(10);

    expect(await queue.receive(10)).toEqual([]);
    await clock.advance(79);
    expect(await queue.receive(10)).toEqual([]);
    await clock.advance(1);
    const [again] = await queue.receive(10);

    expect(again!.messageId).toBe(first!.messageId);
    expect(again!.attributes.ApproximateReceiveCount).toBe("2");
    expect(again!.receiptHandle).not.toBe(first!.receiptHandle);
  });

  it("deletes only with the latest receipt handle", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 20, maxReceiveCount: 5 });
    await queue.send("hello");
    const [first] = await queue.receive(1);
    await clock.advance(20);
    const [second] = await queue.receive(1);

    expect(await queue.delete(first!.receiptHandle)).toBe(false);
    expect(await queue.delete(second!.receiptHandle)).toBe(true);
    expect(await queue.counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it("moves a message to the dead-letter queue on the receive after maxReceiveCount", async () => {
    const { queue, dlq } = await queueWithDlq({ visibilityTimeoutMs: 0, maxReceiveCount: 2 });
    await queue.send("poison");

    expect(await queue.receive(1)).toHaveLength(1);
    expect(await queue.receive(1)).toHaveLength(1);
    expect(await queue.receive(1)).toHaveLength(0);

    const parked = await dlq.messages();
    expect(parked.map((m) => [m.body, m.receiveCount, m.deadLetterSourceQueue])).toEqual([
      ["poison", 2, "work"],
    ]);
  });

  it("keeps messages, receive counts and in-flight deadlines across a restart", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 60_000, maxReceiveCount: 5 });
    await queue.send("a");
    await queue.send("b");
    await queue.receive(1);

    const reopenedDlq = await LocalQueue.open(dir, "work-dlq", { clock });
    const reopened = await LocalQueue.open(dir, "work", {
      settings: { visibilityTimeoutMs: 60_000, maxReceiveCount: 5 },
      deadLetterQueue: reopenedDlq,
      clock,
    });

    expect(await reopened.counts()).toEqual({ visible: 1, inFlight: 1 });
    expect(await reopened.releaseInFlight()).toBe(1);
    const all = await reopened.receive(10);
    expect(all.map((m) => [m.body, m.attributes.ApproximateReceiveCount])).toEqual([
      ["a", "2"],
      ["b", "1"],
    ]);
  });

  it("writes one JSON file per message and removes it on delete", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
    const id = await queue.send('{"x":1}');

    const files = await readdir(join(dir, "work", "messages"));
    expect(files).toEqual([`${id}.json`]);
    expect(JSON.parse(await readFile(join(dir, "work", "messages", files[0]!), "utf8"))).toMatchObject({
      messageId: id,
      body: '{"x":1}',
      receiveCount: 0,
    });
    const [received] = await queue.receive(1);
    await queue.delete(received!.receiptHandle);
    expect(await readdir(join(dir, "work", "messages"))).toEqual([]);
  });

  it("picks up messages another process wrote into the queue directory", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
    const otherProcessView = await LocalQueue.open(dir, "work", { clock });

    await otherProcessView.send("from elsewhere");

    expect((await queue.receive(10)).map((m) => m.body)).toEqual(["from elsewhere"]);
  });

  it("delivers a message being sent once, even when a receive scans the directory between its rename and its indexing", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 10_000, maxReceiveCount: 5 });
    const realRename = fsp.rename;
    const duringSend: string[] = [];
    jest.spyOn(fsp, "rename").mockImplementationOnce(async (from, to) => {
      await realRename(from, to);
      // A poller's receive lands in the window: the file is in place, the sender has not indexed it.
      duringSend.push(...(await queue.receive(10)).map((m) => m.body));
    });

    await queue.send("once");
    const afterSend = (await queue.receive(10)).map((m) => m.body);

    expect([...duringSend, ...afterSend]).toEqual(["once"]);
    jest.restoreAllMocks();
  });

  it("never hands one message to two concurrent receivers", async () => {
    const { queue } = await queueWithDlq({ visibilityTimeoutMs: 10_000, maxReceiveCount: 5 });
    for (let i = 0; i < 20; i++) await queue.send(`m${i}`);

    const batches = await Promise.all(Array.from({ length: 8 }, () => queue.receive(5)));

    const ids = batches.flat().map((m) => m.messageId);
    expect(ids).toHaveLength(20);
    expect(new Set(ids).size).toBe(20);
  });

  it("moves dead-lettered messages back with a fresh receive count", async () => {
    const { queue, dlq } = await queueWithDlq({ visibilityTimeoutMs: 0, maxReceiveCount: 1 });
    await queue.send("retry me");
    await queue.receive(1);
    await queue.receive(1);
    expect(await dlq.counts()).toEqual({ visible: 1, inFlight: 0 });

    const moved = await dlq.moveMessagesTo(queue);

    expect(moved).toBe(1);
    const [back] = await queue.receive(1);
    expect(back!.body).toBe("retry me");
    expect(back!.attributes.ApproximateReceiveCount).toBe("1");
  });

  it("reopens every queue with its recorded settings and dead-letter queue", async () => {
    await queueWithDlq({ visibilityTimeoutMs: 1234, maxReceiveCount: 7 });

    const all = await LocalQueue.openAll(dir, undefined, clock);

    expect([...all.keys()].sort()).toEqual(["work", "work-dlq"]);
    expect(all.get("work")!.settings).toEqual({ visibilityTimeoutMs: 1234, maxReceiveCount: 7 });
    expect(all.get("work")!.deadLetterQueue?.name).toBe("work-dlq");
    expect(all.get("work")!.clock).toBe(clock);
  });

  describe("waitForArrival", () => {
    it("wakes a waiting poller as soon as a message arrives", async () => {
      const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
      let woke = false;

      const waiting = queue.waitForArrival(5000).then(() => {
        woke = true;
      });
      await queue.send("now");
      await nextTurn();

      // The clock never moved, so only the arrival can have woken it; its timeout is gone.
      expect(woke).toBe(true);
      expect(clock.pendingTimers()).toBe(0);
      await waiting;
    });

    it("wakes a poller when a received message is made visible again at once", async () => {
      const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
      await queue.send("retry me");
      const [received] = await queue.receive(1);
      let woke = false;

      const waiting = queue.waitForArrival(5000).then(() => {
        woke = true;
      });
      await queue.changeVisibility(received!.receiptHandle, 0);
      await nextTurn();

      expect(woke).toBe(true);
      await waiting;
    });

    it("gives up after the timeout passes on the queue's clock, and not before", async () => {
      const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
      let woke = false;

      const waiting = queue.waitForArrival(5000).then(() => {
        woke = true;
      });
      await clock.advance(4999);
      await nextTurn();
      const beforeTimeout = woke;
      await clock.advance(1);
      await nextTurn();

      expect(beforeTimeout).toBe(false);
      expect(woke).toBe(true);
      await waiting;
    });

    it("returns when its signal aborts", async () => {
      const { queue } = await queueWithDlq({ visibilityTimeoutMs: 1000, maxReceiveCount: 5 });
      const abort = new AbortController();

      const waiting = queue.waitForArrival(5000, abort.signal);
      abort.abort();
      await waiting;

      expect(clock.pendingTimers()).toBe(0);
      await queue.waitForArrival(5000, abort.signal);
    });
  });
});
