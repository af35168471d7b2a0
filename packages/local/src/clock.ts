/**
 * Where the local runtime reads the time and waits: visibility timeouts, retry delays, receive
 * waits, invocation timeouts and task stop timeouts all go through one. Production code uses
 * {@link systemClock}; tests pass a {@link ManualClock} and move time themselves, so nothing
 * depends on how fast the machine happens to be.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves once `ms` have passed on this clock, or at once when `signal` aborts (already
   * aborted: immediately). It never rejects: a caller that cares checks `signal.aborted`.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Real time: `Date.now()` and `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** Where a {@link ManualClock} starts unless told: 2026-01-01T00:00:00Z. */
export const MANUAL_CLOCK_START = Date.UTC(2026, 0, 1);

interface ManualTimer {
  at: number;
  /** Breaks ties between timers due at the same time: the one set first fires first. */
  order: number;
  fire: () => void;
}

/**
 * A clock that stands still until a test moves it. {@link advance} fires the timers that fall
 * due, in due order, so a test steps through visibility timeouts, poll intervals and timeouts
 * without waiting for them. File I/O still takes real time: a test that runs code doing I/O
 * between sleeps waits for that code to park on the clock before moving it (see the package's
 * test helpers), or time would jump past a timer that code has yet to set.
 */
export class ManualClock implements Clock {
  #now: number;
  #timers: ManualTimer[] = [];
  #order = 0;

  constructor(start: number = MANUAL_CLOCK_START) {
    this.#now = start;
  }

  /** {@inheritDoc Clock.now} */
  now(): number {
    return this.#now;
  }

  /** {@inheritDoc Clock.sleep} A sleep of 0 ms or less fires on the next {@link advance}, even `advance(0)`. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const cancel = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        resolve();
      };
      const timer: ManualTimer = {
        at: this.#now + Math.max(0, ms),
        order: this.#order++,
        fire: () => {
          signal?.removeEventListener("abort", cancel);
          resolve();
        },
      };
      this.#timers.push(timer);
      signal?.addEventListener("abort", cancel, { once: true });
    });
  }

  /** Sleeps waiting on this clock (aborted ones are forgotten at once). */
  pendingTimers(): number {
    return this.#timers.length;
  }

  /** When the earliest pending sleep is due, or `undefined` when none is. */
  nextTimerAt(): number | undefined {
    return this.#earliest()?.at;
  }

  /**
   * Moves the clock `ms` forward. Each timer due by then fires in due order, with the clock set
   * to its due time, and the code it wakes gets an event-loop turn before the next one fires, so
   * a timer that code sets inside the window fires too.
   */
  async advance(ms: number): Promise<void> {
    if (!(ms >= 0)) throw new RangeError(`a clock only moves forward (asked ${ms} ms)`);
    const until = this.#now + ms;
    for (let timer = this.#earliest(); timer && timer.at <= until; timer = this.#earliest()) {
      this.#timers = this.#timers.filter((t) => t !== timer);
      this.#now = Math.max(this.#now, timer.at);
      timer.fire();
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = until;
  }

  #earliest(): ManualTimer | undefined {
    let earliest: ManualTimer | undefined;
    for (const timer of this.#timers) {
      if (!earliest || timer.at < earliest.at || (timer.at === earliest.at && timer.order < earliest.order)) {
        earliest = timer;
      }
    }
    return earliest;
  }
}
