import { spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  LOCK_FILE,
  runtimeHolding,
  StateDirectoryInUseError,
  type StateLock,
  takeStateLock,
} from "../../src/runtime/state-lock";
import { tempStateDir } from "../support/harness";

/** The pid of a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ["-e", ""]);
  if (pid === undefined) throw new Error("could not start a process");
  return pid;
}

/**
 * Takes the lock `contenders` times together, each start delayed by `stagger(i)` ms; returns the
 * locks taken and the refusals.
 */
async function takeTogether(stateDir: string, contenders: number, stagger = (_i: number) => 0) {
  const results = await Promise.allSettled(
    Array.from({ length: contenders }, async (_, i) => {
      if (stagger(i) > 0) await new Promise((started) => setTimeout(started, stagger(i)));
      return takeStateLock(stateDir);
    }),
  );
  const held = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  return { held, refused };
}

jest.setTimeout(60_000);

describe("the state directory lock", () => {
  let stateDir: string;
  let cleanup: () => Promise<void>;
  const taken: StateLock[] = [];

  beforeEach(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
  });
  afterEach(async () => {
    for (const lock of taken.splice(0)) await lock.release();
    await cleanup();
  });

  it("goes to exactly one of eight runtimes starting at the same moment; the others are told who holds it", async () => {
    const { held, refused } = await takeTogether(stateDir, 8);
    taken.push(...held);

    expect(held).toHaveLength(1);
    expect(refused).toHaveLength(7);
    for (const error of refused) {
      expect(error).toBeInstanceOf(StateDirectoryInUseError);
      expect(error).toMatchObject({ pid: process.pid, stateDir });
    }
    expect(await runtimeHolding(stateDir)).toBe(process.pid);
  });

  it("takes over the lock of a runtime that died, and of sixteen taking it over together exactly one wins", async () => {
    const dead = deadPid();
    // Starts a few milliseconds apart, over several rounds: a runtime that removed the dead lock
    // must not remove the one another runtime has just taken in its place.
    for (let round = 0; round < 20; round++) {
      await writeFile(join(stateDir, LOCK_FILE), `${dead}\n`);
      expect(await runtimeHolding(stateDir)).toBeUndefined();

      const { held, refused } = await takeTogether(stateDir, 16, (i) => i % 4);

      expect(held).toHaveLength(1);
      expect(refused.every((error) => error instanceof StateDirectoryInUseError)).toBe(true);
      expect((await readFile(join(stateDir, LOCK_FILE), "utf8")).split("\n")[0]).toBe(String(process.pid));
      await held[0]!.release();
    }
  });

  it("is not blocked by a takeover that a killed runtime left half done", async () => {
    const dead = deadPid();
    await writeFile(join(stateDir, LOCK_FILE), `${dead}\n`);
    await writeFile(join(stateDir, `${LOCK_FILE}.takeover`), `${dead}\nleft-behind\n`);

    taken.push(await takeStateLock(stateDir));

    expect(await runtimeHolding(stateDir)).toBe(process.pid);
  });

  it("treats a lock naming this process that this process never took as stale (a reused pid)", async () => {
    await writeFile(join(stateDir, LOCK_FILE), `${process.pid}\nanother-boot\n`);

    taken.push(await takeStateLock(stateDir));

    expect(await runtimeHolding(stateDir)).toBe(process.pid);
  });

  it("is free again once released, and the next runtime takes it", async () => {
    const first = await takeStateLock(stateDir);
    await expect(takeStateLock(stateDir)).rejects.toBeInstanceOf(StateDirectoryInUseError);

    await first.release();

    expect(await runtimeHolding(stateDir)).toBeUndefined();
    taken.push(await takeStateLock(stateDir));
    expect(await runtimeHolding(stateDir)).toBe(process.pid);
  });

  it("when released late, leaves alone a lock another runtime took after it was declared dead", async () => {
    const first = await takeStateLock(stateDir);
    // Someone decided the first holder was dead and took the directory over.
    const successor = `${deadPid()}\nsuccessor\n`;
    await writeFile(join(stateDir, LOCK_FILE), successor);

    await first.release();

    expect(await readFile(join(stateDir, LOCK_FILE), "utf8")).toBe(successor);
  });
});
