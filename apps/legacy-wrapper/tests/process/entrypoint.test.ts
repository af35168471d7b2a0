import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { type SluiceEvent, type StagingManifest, stagingKeysOf } from "@sluice/core";
import { EXIT_CODES } from "../../src/exit-codes";
import {
  createTaskWorld,
  ledgerFile,
  requireBundle,
  runTaskProcess,
  STAGING_BUCKET,
  type TaskWorld,
} from "../support/task-process";

jest.setTimeout(60_000);

const node = process.execPath;
const command = (...argv: string[]) => ({ SLUICE_LEGACY_COMMAND: JSON.stringify(argv) });

async function readObject(world: TaskWorld, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await world.store.get(STAGING_BUCKET, key)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function expectNothingStaged(keys: string[]): void {
  expect(keys.filter((k) => k.endsWith("manifest.json"))).toEqual([]);
  expect(keys).toEqual([]);
}

describe("legacy-wrapper entrypoint, run as a process", () => {
  let world: TaskWorld;

  beforeAll(() => requireBundle());
  beforeEach(async () => {
    world = await createTaskWorld();
  });
  afterEach(async () => {
    await world.dispose();
  });

  it("stages a fixed-width ledger file through the shipped program as transform would, and only stages without a database", async () => {
    const event = await world.receive("ledger/2026/11/gl extract.dat", ledgerFile());

    const run = await runTaskProcess(world, event);

    expect(run.code).toBe(EXIT_CODES.done);
    const published = await world.published();
    expect(published.map((e) => e.type)).toEqual(["sluice.object.staged"]);
    const staged = published[0] as SluiceEvent<"sluice.object.staged">;
    expect(staged.source).toBe("sluice/legacy-wrapper");
    expect(staged.data).toMatchObject({
      runId: event.data.runId,
      dataset: "ledger",
      route: "container",
      counts: { rows: 41, staged: 40, rejected: 1 },
    });
    const keys = stagingKeysOf("ledger", event.data.runId);
    expect((await world.stagedKeys()).sort()).toEqual(
      [keys.manifestKey, keys.rejectsKey, keys.rowsKey].sort(),
    );
    const manifest = JSON.parse((await readObject(world, keys.manifestKey)).toString()) as StagingManifest;
    expect(manifest).toMatchObject({
      producer: "legacy-wrapper",
      columns: ["_sluice_line", "entry_id", "account", "posted_on", "amount", "memo"],
    });
    const rows = gunzipSync(await readObject(world, keys.rowsKey))
      .toString("utf8")
      .split("\n");
    // Each row is named by its line in the raw file, as on the lambda route.
    expect(rows[0]).toBe("1,1001,00000001,2026-11-02,1.25,entry 1");
    expect(rows[6]).toBe('7,1007,00000007,2026-11-02,7.25,"Coffee, ""large"" beans"');
    const rejects = (await readObject(world, keys.rejectsKey)).toString().trim().split("\n");
    expect(rejects).toHaveLength(1);
    expect(JSON.parse(rejects[0]!)).toMatchObject({ line: 41, field: "account", value: "ABC" });
  });

  it("publishes object.failed with exit code 3 and the stderr tail when the program fails, staging nothing", async () => {
    const event = await world.receive("ledger/fails.dat", ledgerFile());

    const run = await runTaskProcess(
      world,
      event,
      command(
        node,
        "-e",
        "console.error('LEGACY-E042: record 7 has no account'); process.exit(3)",
        "{input}",
      ),
    );

    expect(run.code).toBe(EXIT_CODES.failed);
    const [failed, ...rest] = await world.published();
    expect(rest).toEqual([]);
    expect(failed).toMatchObject({
      type: "sluice.object.failed",
      data: { reason: "legacy-exit-nonzero", exitCode: 3, retryable: false, phase: "legacy-wrapper" },
    });
    expect((failed as SluiceEvent<"sluice.object.failed">).data.stderrTail).toContain("LEGACY-E042");
    expectNothingStaged(await world.stagedKeys());
  });

  it("stops a program that hangs past its time limit and fails the run", async () => {
    const event = await world.receive("ledger/hangs.dat", ledgerFile());
    const started = Date.now();

    const run = await runTaskProcess(world, event, {
      ...command(node, "-e", "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"),
      SLUICE_LEGACY_TIMEOUT_MS: "500",
      SLUICE_LEGACY_KILL_GRACE_MS: "300",
    });

    expect(run.code).toBe(EXIT_CODES.failed);
    expect(Date.now() - started).toBeLessThan(15_000);
    const published = await world.published();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      type: "sluice.object.failed",
      data: { reason: "legacy-timeout", retryable: false },
    });
    expectNothingStaged(await world.stagedKeys());
  });

  it("keeps memory and log bounded when the program floods stderr, and reports its tail", async () => {
    const event = await world.receive("ledger/floods.dat", ledgerFile());
    const flood =
      "const line = 'x'.repeat(1000) + '\\n'; for (let i = 0; i < 8000; i++) process.stderr.write(i + ' ' + line); " +
      "process.stderr.write('LAST LINE\\n'); process.exitCode = 1";

    const run = await runTaskProcess(world, event, {
      ...command(node, "-e", flood),
      SLUICE_LEGACY_LOG_LINES_MAX: "50",
    });

    expect(run.code).toBe(EXIT_CODES.failed);
    const [failed] = (await world.published()) as SluiceEvent<"sluice.object.failed">[];
    expect(failed!.data.reason).toBe("legacy-exit-nonzero");
    expect(failed!.data.stderrTail!.endsWith("LAST LINE\n")).toBe(true);
    expect(Buffer.byteLength(failed!.data.stderrTail!)).toBeLessThanOrEqual(8 * 1024);
    // 8 MB went to stderr; the task's own log stays small.
    expect(run.stdout.length + run.stderr.length).toBeLessThan(400_000);
    const ended = run.logs.find((l) => l.message === "legacy program ended");
    expect(ended?.stderrBytes).toBeGreaterThan(8_000_000);
    expectNothingStaged(await world.stagedKeys());
  });

  it("on SIGTERM stops the program, publishes a retryable failure and exits non-zero", async () => {
    const event = await world.receive("ledger/stopped.dat", ledgerFile());
    const scratch = await mkdtemp(join(tmpdir(), "sluice-legacy-pid-"));
    const pidFile = join(scratch, "pid");
    const program = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setInterval(() => {}, 1000)`;

    const run = await runTaskProcess(world, event, command(node, "-e", program), (line, child) => {
      if (line.message !== "running legacy program") return;
      // Stop the task once the program is surely running (it has written its pid).
      const poll = setInterval(() => {
        if (!existsSync(pidFile) || readFileSync(pidFile, "utf8") === "") return;
        clearInterval(poll);
        child.kill("SIGTERM");
      }, 50);
    });

    try {
      expect(run.code).toBe(EXIT_CODES.retryable);
      const published = await world.published();
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({
        type: "sluice.object.failed",
        data: { reason: "stopped", retryable: true },
      });
      expectNothingStaged(await world.stagedKeys());
      const pid = Number(readFileSync(pidFile, "utf8"));
      expect(() => process.kill(pid, 0)).toThrow();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });

  it("fails the run when the program succeeds but writes no usable output", async () => {
    const event = await world.receive("ledger/no-output.dat", ledgerFile());

    const run = await runTaskProcess(world, event, command(node, "-e", "process.exit(0)"));

    expect(run.code).toBe(EXIT_CODES.failed);
    expect(await world.published()).toMatchObject([
      { type: "sluice.object.failed", data: { reason: "unreadable-output", exitCode: 0 } },
    ]);
    expectNothingStaged(await world.stagedKeys());
  });

  it("exits with the bad-input code and publishes nothing when the task event is missing", async () => {
    const run = await runTaskProcess(world, undefined);

    expect(run.code).toBe(EXIT_CODES.badInput);
    expect(await world.published()).toEqual([]);
    expect(run.logs.some((l) => String(l.message).includes("cannot start"))).toBe(true);
  });

  it("leaves no working files behind", async () => {
    const workDir = await mkdtemp(join(tmpdir(), "sluice-legacy-work-"));
    const event = await world.receive("ledger/clean.dat", ledgerFile());

    await runTaskProcess(world, event, { SLUICE_LEGACY_WORK_DIR: workDir });

    expect(existsSync(workDir)).toBe(true);
    expect(readdirSync(workDir)).toEqual([]);
    await rm(workDir, { recursive: true, force: true });
  });
});
