import { spawn } from "node:child_process";
import { createReadStream } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { EXIT, type RunStatus, runCli, samplesDir } from "../../src";
import { runSluice } from "../support/cli-process";
import {
  bufferIo,
  DRAIN_TIMEOUT_MS,
  E2E_TEST_TIMEOUT_MS,
  expectedSamples,
  SAMPLE_TABLE_ROWS,
  startRuntimeWithBrokenLoader,
  tempStateDir,
  testDatabases,
} from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** The real binary, built from the current sources by the global setup (the kill test runs it). */
const CLI_BUNDLE = join(__dirname, "..", "..", "dist", "sluice.cjs");

describe.each(testDatabases("cli"))("sluice on $kind", (database) => {
  let stateDir: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;
  let globals: string[];

  beforeEach(async () => {
    ({ dir: stateDir, cleanup } = await tempStateDir());
    databaseUrl = await database.create(stateDir);
    globals = ["--state-dir", stateDir, "--database-url", databaseUrl];
  });
  afterEach(async () => {
    await database.drop(databaseUrl);
    await cleanup();
  });

  async function statusJson(...args: string[]): Promise<{ code: number; runs: RunStatus[] }> {
    const io = bufferIo();
    const code = await runCli([...globals, "status", ...args, "--json"], io);
    return { code, runs: JSON.parse(io.stdout.join("")) as RunStatus[] };
  }

  it("demo loads every sample, and a second demo loads nothing twice and says so", async () => {
    const first = bufferIo();
    expect(await runCli([...globals, "demo"], first)).toBe(EXIT.ok);
    const summary = first.stdout.join("\n");
    expect(summary).toContain("orders/2026-04-broken-export.csv");
    expect(summary).toContain("quarantined: bad-row-ratio");
    expect(summary).toContain("Query the loaded tables");

    const second = bufferIo();
    expect(await runCli([...globals, "demo"], second)).toBe(EXIT.ok);
    expect(second.stdout.join("\n")).toContain(
      "6 of 7 objects were already loaded by an earlier run: nothing was loaded twice.",
    );

    const sql = bufferIo();
    expect(await runCli([...globals, "sql", "select count(*) as n from orders", "--json"], sql)).toBe(
      EXIT.ok,
    );
    expect(Number(JSON.parse(sql.stdout.join(""))[0].n)).toBe(SAMPLE_TABLE_ROWS.orders);
  });

  it("status answers per key and run id with exit codes a script can trust", async () => {
    await runCli([...globals, "run", join(samplesDir(), "raw")], bufferIo());

    const all = await statusJson();
    expect(all.code).toBe(EXIT.attention);
    expect(all.runs).toHaveLength(7);
    const loaded = await statusJson("orders/2026-01-orders.csv");
    expect(loaded.code).toBe(EXIT.ok);
    expect(loaded.runs[0]).toMatchObject({
      state: "loaded",
      ledger: { status: "loaded" },
      load: { inserted: 20 },
    });
    const byRunId = await statusJson(loaded.runs[0]!.runId);
    expect(byRunId.runs.map((r) => r.key)).toEqual(["orders/2026-01-orders.csv"]);
    const quarantined = await statusJson("--dataset", "orders", "orders/2026-04-broken-export.csv");
    expect(quarantined.code).toBe(EXIT.attention);
    expect(quarantined.runs[0]!.firstRejections?.[0]).toMatchObject({ field: "amount" });
    expect((await statusJson("orders/none.csv")).code).toBe(EXIT.notFound);
    expect((await statusJson("--dataset", "customers")).runs.map((r) => r.key)).toEqual([
      "crm/customers/2026/customers.ndjson",
    ]);
  });

  it("replay re-emits only quarantined objects without re-uploading them", async () => {
    await runCli([...globals, "run", join(samplesDir(), "raw")], bufferIo());

    const io = bufferIo();
    const code = await runCli(
      [...globals, "replay", "--prefix", "orders/", "--state", "quarantined", "--json"],
      io,
    );

    const result = JSON.parse(io.stdout.join("")) as { replayed: string[]; runs: RunStatus[] };
    expect(result.replayed).toEqual(["orders/2026-04-broken-export.csv"]);
    expect(result.runs.map((r) => [r.key, r.state])).toEqual([
      ["orders/2026-04-broken-export.csv", "quarantined"],
    ]);
    expect(code).toBe(EXIT.attention);
  });

  it("dlq list shows a parked message and dlq redrive loads it once the bug is fixed", async () => {
    const broken = await startRuntimeWithBrokenLoader({ stateDir, databaseUrl });
    await broken.ingest(
      "orders/2026-01-orders.csv",
      createReadStream(join(samplesDir(), "raw", "orders", "2026-01-orders.csv")),
    );
    await broken.drain({ timeoutMs: DRAIN_TIMEOUT_MS });
    await broken.close();

    const list = bufferIo();
    expect(await runCli([...globals, "dlq", "list", "--json"], list)).toBe(EXIT.attention);
    expect(JSON.parse(list.stdout.join(""))).toMatchObject([
      { queue: "loader-dlq", subject: "orders/2026-01-orders.csv" },
    ]);
    expect((await statusJson()).runs[0]).toMatchObject({ state: "dead-lettered" });

    const redrive = bufferIo();
    expect(await runCli([...globals, "dlq", "redrive", "loader"], redrive)).toBe(EXIT.ok);
    expect(redrive.stdout.join("\n")).toContain("moved 1 message(s) back");
    const after = await statusJson();
    expect(after.runs[0]).toMatchObject({ state: "loaded", deadLetters: [] });
    expect(await runCli([...globals, "dlq", "list"], bufferIo())).toBe(EXIT.ok);
  });

  it("loses nothing when killed midway: running again resumes and loads each object once", async () => {
    const child = spawn(process.execPath, [CLI_BUNDLE, ...globals, "run", join(samplesDir(), "raw")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        // Everything is in the raw bucket and its notifications are queued: pull the plug.
        if ((output.match(/^stored /gm) ?? []).length === 7) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.once("exit", () => reject(new Error(`the run ended before it could be killed:\n${output}`)));
    });
    await new Promise((resolve) => child.once("exit", resolve));

    const resumed = bufferIo();
    const code = await runCli([...globals, "run"], resumed);

    expect({ out: resumed.stdout.join("\n"), err: resumed.stderr.join("\n") }).toMatchObject({
      out: expect.stringContaining("resuming unfinished work"),
    });
    // The resume reports the runs that moved after the kill: exit 3 when the quarantined sample is one.
    const reported = resumed.stdout.join("\n");
    expect(code).toBe(/quarantined: bad-row-ratio/.test(reported) ? EXIT.attention : EXIT.ok);
    const { runs } = await statusJson();
    expect(Object.fromEntries(runs.map((run) => [run.key, run.state]))).toEqual(expectedSamples());
    const sql = bufferIo();
    await runCli(
      [...globals, "sql", "select count(*) as n, count(distinct order_id) as k from orders", "--json"],
      sql,
    );
    const [counts] = JSON.parse(sql.stdout.join("")) as { n: string | number; k: string | number }[];
    expect([Number(counts!.n), Number(counts!.k)]).toEqual([
      SAMPLE_TABLE_ROWS.orders,
      SAMPLE_TABLE_ROWS.orders,
    ]);
  });

  it("-v with --json: the result alone on stdout, every phase's logs on stderr", async () => {
    const {
      code,
      out: stdout,
      err: stderr,
    } = await runSluice([...globals, "-v", "run", join(samplesDir(), "raw"), "--json"]);

    // The quarantined sample makes it exit 3; what it printed on stdout is one JSON document.
    expect(code).toBe(EXIT.attention);
    const { runs } = JSON.parse(stdout) as { runs: RunStatus[] };
    expect(Object.fromEntries(runs.map((run) => [run.key, run.state]))).toEqual(expectedSamples());
    const logged = stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as { phase: string; message: string });
    // The transform logs from its worker threads, the others from the main thread.
    expect(new Set(logged.map((line) => line.phase))).toEqual(
      new Set(["listener", "transform", "launcher", "loader"]),
    );
    // Five samples are staged by the transform: the ledger by its container task, and one is quarantined.
    expect(logged.filter((line) => line.message === "object staged")).toHaveLength(5);
  });

  it("prints help and rejects unknown commands with the usage exit code", async () => {
    const help = bufferIo();
    expect(await runCli(["--help"], help)).toBe(EXIT.ok);
    expect(help.stdout.join("")).toContain("Exit codes:");
    const dlqHelp = bufferIo();
    expect(await runCli(["dlq", "redrive", "--help"], dlqHelp)).toBe(EXIT.ok);
    expect(dlqHelp.stdout.join("")).toContain("--no-wait");
    expect(await runCli(["frobnicate"], bufferIo())).toBe(EXIT.usage);
    expect(await runCli([...globals, "run", join(stateDir, "missing")], bufferIo())).toBe(EXIT.usage);
  });
});

describe("sluice watch", () => {
  it("loads files dropped into the folder until stopped", async () => {
    const { dir: stateDir, cleanup } = await tempStateDir();
    try {
      const inbox = join(stateDir, "inbox");
      await mkdir(join(inbox, "orders"), { recursive: true });
      const io = bufferIo();
      const watching = runCli(
        ["--state-dir", join(stateDir, "state"), "watch", inbox, "--interval", "50"],
        io,
      );
      await waitForLine(io.stdout, /watching/);

      await copyFile(
        join(samplesDir(), "raw", "orders", "2026-01-orders.csv"),
        join(inbox, "orders", "jan.csv"),
      );
      await waitForLine(io.stdout, /loaded\s+orders\/jan\.csv/);
      process.emit("SIGINT");

      expect(await watching).toBe(EXIT.ok);
      expect(io.stdout.filter((line) => /^received/.test(line))).toHaveLength(1);
    } finally {
      await cleanup();
    }
  });
});

async function waitForLine(lines: string[], pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((line) => pattern.test(line))) {
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} in:\n${lines.join("\n")}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
