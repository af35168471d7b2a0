import { createServer } from "node:net";
import { ENV, type SluiceEvent } from "@sluice/core";
import { Client } from "pg";
import { EXIT_CODES } from "../../src/exit-codes";
import {
  createTaskWorld,
  ledgerFile,
  requireBundle,
  runTaskProcess,
  type TaskWorld,
} from "../support/task-process";

jest.setTimeout(120_000);

const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;
if (!serverUrl) {
  if (process.env.CI === "true") throw new Error("SLUICE_TEST_DATABASE_URL must be set in CI");
  console.warn("SLUICE_TEST_DATABASE_URL is not set: the legacy-wrapper task's load is not tested");
}
const describeWithPostgres = serverUrl ? describe : describe.skip;

/** A localhost port nothing listens on: taken from the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function admin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

describeWithPostgres("the legacy-wrapper task with a database, run as a process", () => {
  const database = `sluice_legacy_wrapper_load_${process.pid}`;
  let databaseUrl: string;
  let world: TaskWorld;

  beforeAll(async () => {
    requireBundle();
    await admin(serverUrl!, async (client) => {
      await client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await client.query(`CREATE DATABASE ${database}`);
    });
    const url = new URL(serverUrl!);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
  });
  afterAll(async () => {
    await admin(serverUrl!, (client) => client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
  });
  beforeEach(async () => {
    world = await createTaskWorld();
    await admin(databaseUrl, (client) => client.query("DROP TABLE IF EXISTS ledger_entries"));
  });
  afterEach(async () => {
    await world.dispose();
  });

  const count = () =>
    admin(databaseUrl, async (client) => {
      const result = await client.query<{ n: string }>("SELECT count(*)::text AS n FROM ledger_entries");
      return Number(result.rows[0]!.n);
    });

  it("stages and loads the run itself, and a second run of the same task loads nothing twice", async () => {
    const event = await world.receive("ledger/2026/11/big extract.dat", ledgerFile());

    const first = await runTaskProcess(world, event, { [ENV.databaseUrl]: databaseUrl });
    const afterFirst = await count();
    const again = await runTaskProcess(world, event, { [ENV.databaseUrl]: databaseUrl });

    expect(first.code).toBe(EXIT_CODES.done);
    expect(again.code).toBe(EXIT_CODES.done);
    const published = await world.published();
    expect(published.map((e) => e.type)).toEqual([
      "sluice.object.staged",
      "sluice.object.loaded",
      "sluice.object.staged",
      "sluice.object.loaded",
    ]);
    const [loaded, reloaded] = published.filter(
      (e): e is SluiceEvent<"sluice.object.loaded"> => e.type === "sluice.object.loaded",
    );
    expect(loaded!.source).toBe("sluice/legacy-wrapper");
    expect(loaded!.data).toMatchObject({
      runId: event.data.runId,
      table: "public.ledger_entries",
      inserted: 40,
      alreadyLoaded: false,
    });
    expect(reloaded!.data).toMatchObject({ inserted: 40, alreadyLoaded: true });
    expect(afterFirst).toBe(40);
    expect(await count()).toBe(40);
    const coffee = await admin(databaseUrl, (client) =>
      client.query("SELECT memo, amount::text AS amount FROM ledger_entries WHERE entry_id = 1007"),
    );
    expect(coffee.rows).toEqual([{ memo: 'Coffee, "large" beans', amount: "7.25" }]);
  });

  it("fails retryably (exit 75, object.failed) when the database cannot be reached, loading nothing", async () => {
    const event = await world.receive("ledger/unreachable.dat", ledgerFile());
    const unreachable = new URL(databaseUrl);
    unreachable.port = String(await closedPort());

    const run = await runTaskProcess(world, event, { [ENV.databaseUrl]: unreachable.toString() });

    expect(run.code).toBe(EXIT_CODES.retryable);
    const published = await world.published();
    expect(published.map((e) => e.type)).toEqual(["sluice.object.staged", "sluice.object.failed"]);
    expect(published[1]).toMatchObject({
      source: "sluice/legacy-wrapper",
      data: { runId: event.data.runId, phase: "loader", reason: "database-unavailable", retryable: true },
    });
    const tables = await admin(databaseUrl, (client) =>
      client.query("SELECT to_regclass('public.ledger_entries') AS t"),
    );
    expect(tables.rows[0].t).toBeNull();
  });

  it("fails for good (exit 65, object.failed) when the table cannot take the contract, leaving it as it was", async () => {
    const event = await world.receive("ledger/mismatch.dat", ledgerFile());
    // The key is `account`, not the contract's `entry_id`: the loader refuses to load into it.
    await admin(databaseUrl, async (client) => {
      await client.query(
        "CREATE TABLE ledger_entries (entry_id bigint, account text PRIMARY KEY, posted_on date, amount numeric, memo text)",
      );
      await client.query("INSERT INTO ledger_entries VALUES (1, '99999999', '2026-01-01', 1.00, 'kept')");
    });

    const run = await runTaskProcess(world, event, { [ENV.databaseUrl]: databaseUrl });

    expect(run.code).toBe(EXIT_CODES.failed);
    const published = await world.published();
    expect(published.map((e) => e.type)).toEqual(["sluice.object.staged", "sluice.object.failed"]);
    expect(published[1]).toMatchObject({
      data: { phase: "loader", reason: "schema-mismatch", retryable: false },
    });
    expect((published[1] as SluiceEvent<"sluice.object.failed">).data.message).toContain("ledger_entries");
    expect(await count()).toBe(1);
  });
});
