import { MANUAL_CLOCK_START, ManualClock, systemClock } from "../../src";

describe("ManualClock", () => {
  it("stands still until advanced, then fires the sleeps that fell due in due order", async () => {
    const clock = new ManualClock();
    const woken: string[] = [];
    const sleeper = (name: string, ms: number) =>
      clock.sleep(ms).then(() => woken.push(`${name}@${clock.now() - MANUAL_CLOCK_START}`));
    void sleeper("late", 30);
    void sleeper("early", 10);
    void sleeper("also-early", 10);

    await clock.advance(9);
    const beforeDue = [...woken];
    await clock.advance(21);

    expect(beforeDue).toEqual([]);
    expect(woken).toEqual(["early@10", "also-early@10", "late@30"]);
    expect(clock.now()).toBe(MANUAL_CLOCK_START + 30);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("also fires a sleep that woken code sets inside the same advance", async () => {
    const clock = new ManualClock(0);
    const ticks: number[] = [];
    const poller = (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(20);
        ticks.push(clock.now());
      }
    })();

    await clock.advance(100);
    await poller;

    expect(ticks).toEqual([20, 40, 60]);
  });

  it("resolves an aborted sleep at once and forgets it", async () => {
    const clock = new ManualClock(0);
    const abort = new AbortController();
    const sleeping = clock.sleep(1000, abort.signal);
    expect(clock.nextTimerAt()).toBe(1000);

    abort.abort();
    await sleeping;

    expect(clock.pendingTimers()).toBe(0);
    expect(clock.nextTimerAt()).toBeUndefined();
    expect(clock.now()).toBe(0);
    await clock.sleep(5, abort.signal);
    expect(clock.pendingTimers()).toBe(0);
  });

  it("refuses to move backwards", async () => {
    await expect(new ManualClock().advance(-1)).rejects.toThrow(RangeError);
  });
});

describe("systemClock", () => {
  it("reads the real time and sleeps in it", async () => {
    const started = Date.now();

    await systemClock.sleep(20);
    const now = systemClock.now();

    expect(now - started).toBeGreaterThanOrEqual(15);
    expect(now).toBeLessThanOrEqual(Date.now());
  });

  it("wakes a sleep early when its signal aborts", async () => {
    const abort = new AbortController();
    const sleeping = systemClock.sleep(60_000, abort.signal);

    abort.abort();

    await expect(sleeping).resolves.toBeUndefined();
  });
});
