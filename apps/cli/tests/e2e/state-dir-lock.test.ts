import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, runCli } from "../../src";
import { type Started, startSluice, waitFor } from "../support/cli-process";
import { bufferIo, startRuntime, tempStateDir } from "../support/harness";

jest.setTimeout(120_000);

describe("one runtime per state directory", () => {
  let stateDir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
  });
  afterEach(async () => {
    await cleanup();
  });

  it("of four `sluice watch` started together, one runs and the others exit 6 naming it", async () => {
    const inbox = join(stateDir, "inbox");
    await mkdir(inbox);
    const state = join(stateDir, "state");

    const all = Array.from({ length: 4 }, () => startSluice(["--state-dir", state, "watch", inbox]));
    const codes = new Map<Started, number | null>();
    for (const started of all) void started.exited.then((code) => codes.set(started, code));
    await waitFor(
      () => codes.size === 3 && all.some((started) => /watching/.test(started.stdout)),
      "three refused and one watching",
    );

    const winner = all.find((started) => !codes.has(started))!;
    for (const [loser, code] of codes) {
      expect(code).toBe(EXIT.busy);
      expect(loser.stderr).toContain(`another sluice runtime (pid ${winner.child.pid}) is using ${state}`);
    }
    winner.child.kill("SIGINT");
    expect(await winner.exited).toBe(EXIT.ok);
  });

  it("refuses a command while a runtime of this same process holds the directory", async () => {
    const runtime = await startRuntime({ stateDir, databaseUrl: join(stateDir, "pglite") });
    try {
      const io = bufferIo();

      const code = await runCli(["--state-dir", stateDir, "run"], io);

      expect(code).toBe(EXIT.busy);
      expect(io.stderr.join("")).toContain(
        `another sluice runtime (pid ${process.pid}) is using ${stateDir}`,
      );
    } finally {
      await runtime.close();
    }
    expect(await runCli(["--state-dir", stateDir, "run"], bufferIo())).toBe(EXIT.ok);
  });
});
