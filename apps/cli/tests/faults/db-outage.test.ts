/**
 * Fault suite: the database going away under `sluice run` (issue 12, point 1), on a Postgres
 * server of the test's own that it stops and starts. The built `sluice` binary runs in its own
 * process, as a person runs it, so a crash (an unhandled `error` event) shows as its exit code.
 *
 * `SLUICE_CHAOS_TRIALS` (default 3) sets how many stop/start trials run, each at a random point
 * of the loads for a random few seconds. `pnpm chaos` runs only this folder.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finished } from "node:stream/promises";
import { EXIT, type RunStatus } from "../../src";
import { runSluice, type Started, startSluice, waitFor } from "../support/cli-process";
import { postgresToolsMissing, ThrowawayPostgres } from "../support/throwaway-postgres";

const TRIALS = Number(process.env.SLUICE_CHAOS_TRIALS ?? 3);
/** Several files of a size whose loads take a few seconds together, so a stop can land among them. */
const FILES = 4;
const ROWS_PER_FILE = 150_000;
/**
 * Deadlines against hangs, not speed claims: a trial (transform of the files, the loads, the
 * outage and the retries) takes 20-40 s on the idle 2-core machine, several times that loaded.
 */
const TRIAL_TIMEOUT_MS = 10 * 60_000;
/**
 * Settings that fan every file out (issue 13): ~10 MB each in parts of 1 MiB, so the loader's
 * early start is copying parts into its open transaction while the rest are staged.
 */
const MIB_PARTS_ENV = {
  SLUICE_FANOUT_MIN_BYTES: String(1024 * 1024),
  SLUICE_PART_BYTES: String(1024 * 1024),
  SLUICE_TRANSFORM_WORKERS: "2",
};
const WAIT_DEADLINE_MS = 5 * 60_000;

/** Writes `files` orders CSVs of `rows` rows each (order ids unique across files); resolves the row count. */
async function writeOrdersFiles(dir: string, files: number, rows: number): Promise<number> {
  await mkdir(dir, { recursive: true });
  const statuses = ["new", "paid", "shipped", "cancelled"];
  for (let file = 1; file <= files; file++) {
    const out = createWriteStream(join(dir, `part-${file}.csv`));
    out.write("order_id,customer_id,status,amount,currency,ordered_at,note\n");
    let chunk = "";
    for (let i = 1; i <= rows; i++) {
      const day = String((i % 28) + 1).padStart(2, "0");
      chunk += `${file * 1_000_000 + i},${(i % 997) + 1},${statuses[i % 4]},${i % 1000}.${String(i % 100).padStart(2, "0")},EUR,2026-01-${day}T10:00:00Z,\n`;
      if (chunk.length > 1 << 20 || i === rows) {
        if (!out.write(chunk)) await once(out, "drain");
        chunk = "";
      }
    }
    out.end();
    await finished(out);
  }
  return files * rows;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const randomBetween = (low: number, high: number) => Math.round(low + Math.random() * (high - low));

/** Signs of a crash on stderr: node's unhandled error report, or a stack trace printed by sluice. */
function crashSigns(stderr: string): string[] {
  return stderr.split("\n").filter((line) => /Unhandled 'error' event|^\s+at \S/.test(line));
}

/** The loader's failed attempts the `-v` log reports (one `message failed` line each) as the database being unavailable. */
function databaseUnavailableFailures(stderr: string): number {
  return stderr
    .split("\n")
    .filter(
      (line) => line.includes('"message":"message failed"') && line.includes('"code":"database-unavailable"'),
    ).length;
}

const statesOf = (runs: RunStatus[]) => Object.fromEntries(runs.map((run) => [run.key, run.state]));

const missing = postgresToolsMissing();
if (missing && process.env.CI === "true")
  throw new Error(`the fault suite needs initdb and pg_ctl in CI: ${missing}`);
if (missing)
  console.warn(
    `database outage fault tests skipped: ${missing} (they start and stop a Postgres of their own)`,
  );
const describeWithPostgres = missing ? describe.skip : describe;

describeWithPostgres("Postgres going away under `sluice run`", () => {
  let server: ThrowawayPostgres;
  let work: string;
  let inbox: string;
  let totalRows: number;
  let keys: string[];
  const measured: string[] = [];

  beforeAll(async () => {
    server = await ThrowawayPostgres.start();
    work = await mkdtemp(join(tmpdir(), "sluice-faults-"));
    inbox = join(work, "inbox");
    totalRows = await writeOrdersFiles(join(inbox, "orders"), FILES, ROWS_PER_FILE);
    keys = Array.from({ length: FILES }, (_, i) => `orders/part-${i + 1}.csv`);
  }, WAIT_DEADLINE_MS);

  afterAll(async () => {
    if (measured.length > 0) console.info(measured.join("\n"));
    await server?.destroy();
    if (work) await rm(work, { recursive: true, force: true });
  }, WAIT_DEADLINE_MS);

  /** A fresh database and state directory; `sluice` runs on both. */
  async function session(name: string) {
    await server.withDatabase((db) => db.query(`CREATE DATABASE ${name}`));
    const globals = ["--state-dir", join(work, name), "--database-url", server.url(name)];
    return {
      start: (...args: string[]) => startSluice([...globals, ...args]),
      startFannedOut: (...args: string[]) => startSluice([...globals, ...args], MIB_PARTS_ENV),
      sluice: (...args: string[]) => runSluice([...globals, ...args]),
      sluiceFannedOut: (...args: string[]) => runSluice([...globals, ...args], MIB_PARTS_ENV),
      rows: () =>
        server.withDatabase(async (db) => {
          const result = await db.query<{ n: string; keys: string }>(
            "SELECT count(*) AS n, count(DISTINCT order_id) AS keys FROM orders",
          );
          return { rows: Number(result.rows[0]!.n), distinctKeys: Number(result.rows[0]!.keys) };
        }, name),
      loading: () =>
        server.withDatabase(async (db) => {
          const result = await db.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query ~* '^\\s*(COPY|INSERT)'",
            [name],
          );
          return Number(result.rows[0]!.n) > 0;
        }),
    };
  }

  /** Every row of the files is in the table once, and `status` shows every object loaded (exit 0). */
  async function expectEveryRowLoadedOnce(s: Awaited<ReturnType<typeof session>>): Promise<void> {
    expect(await s.rows()).toEqual({ rows: totalRows, distinctKeys: totalRows });
    const status = await s.sluice("status", "--json");
    expect(status.code).toBe(EXIT.ok);
    expect(statesOf(JSON.parse(status.out) as RunStatus[])).toEqual(
      Object.fromEntries(keys.map((key) => [key, "loaded"])),
    );
  }

  /**
   * Starts `run`, stops the server at a random point among the loads (one is seen COPYing or
   * inserting, then 0-500 ms more) for 2-4 s, and expects the run to end by itself: exit 0, no
   * crash, at least one `database-unavailable` retry.
   */
  async function outageUnder(s: Awaited<ReturnType<typeof session>>, run: Started) {
    const started = performance.now();
    await waitFor(
      async () => {
        if (await s.loading()) return true;
        if (run.child.exitCode !== null || run.child.signalCode !== null)
          throw new Error("gave up waiting for a load in progress: sluice had already exited");
        return false;
      },
      "a load in progress",
      { timeoutMs: WAIT_DEADLINE_MS, pollMs: 50 },
    );
    await sleep(randomBetween(0, 500));
    const stoppedAt = performance.now();
    await server.stop();
    await sleep(randomBetween(2000, 4000));
    await server.start();
    const outageMs = performance.now() - stoppedAt;
    const code = await run.exited;
    expect(crashSigns(run.stderr)).toEqual([]);
    expect(code).toBe(EXIT.ok);
    const failures = databaseUnavailableFailures(run.stderr);
    expect(failures).toBeGreaterThan(0);
    const took = `outage ${(outageMs / 1000).toFixed(1)} s, run ${((performance.now() - started) / 1000).toFixed(1)} s`;
    return { out: run.stdout, failures, took };
  }

  for (let trial = 1; trial <= TRIALS; trial++) {
    test(
      `trial ${trial} of ${TRIALS}: stopped mid-load and started again a few seconds later, the run finishes with every row loaded once`,
      async () => {
        const s = await session(`outage_${trial}`);
        const { failures, took } = await outageUnder(s, s.start("-v", "run", inbox, "--json"));

        await expectEveryRowLoadedOnce(s);
        measured.push(
          `db-outage trial ${trial}: ${took}, ${failures} load attempt(s) failed as database-unavailable, ${totalRows} rows loaded once`,
        );
      },
      TRIAL_TIMEOUT_MS,
    );
  }

  test(
    "fanned out, stopped while the loader copies parts as they are staged: the run finishes with every row loaded once",
    async () => {
      const s = await session("outage_fanned_out");
      const { out, failures, took } = await outageUnder(s, s.startFannedOut("-v", "run", inbox, "--json"));

      // Every file was staged in parts (8 each), not in one pass.
      const { runs } = JSON.parse(out) as { runs: RunStatus[] };
      const parts = runs.map((fannedOut) => fannedOut.parts?.total ?? 0);
      expect(Math.min(...parts)).toBeGreaterThanOrEqual(5);
      await expectEveryRowLoadedOnce(s);
      measured.push(
        `db-outage fanned out: ${took}, ${parts.join("+")} parts, ${failures} load attempt(s) failed as database-unavailable, ${totalRows} rows loaded once`,
      );
    },
    TRIAL_TIMEOUT_MS,
  );

  test.each([
    { how: "in one pass", name: "down_at_start", fannedOut: false },
    { how: "fanned out", name: "down_at_start_fanned_out", fannedOut: true },
  ])(
    "down from the start for longer than the retries, $how: the run ends with each load in the DLQ naming the reason, and a redrive loads them once it is back",
    async ({ name, fannedOut }) => {
      const s = await session(name);
      const unreachable = "database unavailable: connection refused";
      const ledgerNote = `note: the ledger could not be read (${unreachable}); status shows events and DLQs only`;
      const parked = Object.fromEntries(keys.map((key) => [key, "dead-lettered"]));
      await server.stop();
      let runMs: number;
      try {
        const started = performance.now();
        const run = await (fannedOut ? s.sluiceFannedOut : s.sluice)("run", inbox, "--json");
        runMs = performance.now() - started;

        expect(crashSigns(run.err)).toEqual([]);
        expect(run.code).toBe(EXIT.attention);
        expect(run.err).toContain(ledgerNote);
        const { runs } = JSON.parse(run.out) as { runs: RunStatus[] };
        expect(statesOf(runs)).toEqual(parked);
        for (const parkedRun of runs)
          expect(parkedRun).toMatchObject({
            reason: "database-unavailable (in loader-dlq)",
            message: unreachable,
          });

        const status = await s.sluice("status", "--json");
        expect(crashSigns(status.err)).toEqual([]);
        expect(status.code).toBe(EXIT.attention);
        expect(status.err).toContain(ledgerNote);
        expect(statesOf(JSON.parse(status.out) as RunStatus[])).toEqual(parked);
      } finally {
        await server.start();
      }

      const redrive = await s.sluice("dlq", "redrive", "--json");
      expect(redrive.code).toBe(EXIT.ok);
      await expectEveryRowLoadedOnce(s);
      const loaded = JSON.parse((await s.sluice("status", "--json")).out) as RunStatus[];
      for (const run of loaded) expect(run.parts?.total ?? 1).toBe(fannedOut ? 8 : 1);
      measured.push(
        `db-outage down at start, ${name}: run ended after ${(runMs / 1000).toFixed(1)} s with the loads of ${FILES} objects in loader-dlq; redrive loaded ${totalRows} rows`,
      );
    },
    TRIAL_TIMEOUT_MS,
  );
});
