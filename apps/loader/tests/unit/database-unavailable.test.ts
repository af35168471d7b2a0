import { EventEmitter } from "node:events";
import { createServer } from "node:net";
import { Readable } from "node:stream";
import { createMemoryLogger, DatabaseUnavailableError, DatasetRegistry, dispositionOf } from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { Client, DatabaseError, Pool } from "pg";
import { createLoaderHandler, PgLoadTarget } from "../../src";
import { sqsEvent, sqsRecordOf } from "../support/sqs";
import { orderRow, ordersContract, stageRun } from "../support/staging";

const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;

/** A localhost port nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A target on a server that refuses every connection. */
async function refusingTarget(): Promise<PgLoadTarget> {
  const url = `postgres://postgres@127.0.0.1:${await closedPort()}/postgres`;
  return new PgLoadTarget(new Pool({ connectionString: url, max: 1 }));
}

describe("a database that refuses connections", () => {
  test("fails a query with DatabaseUnavailableError naming the refusal, retried by its class", async () => {
    const target = await refusingTarget();

    const error = await target.query("SELECT 1").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect(error).toMatchObject({ code: "database-unavailable", reason: "connection refused" });
    expect((error as Error).message).toBe("database unavailable: connection refused");
    expect(dispositionOf(error)).toBe("retry");
    await target.close();
  });

  test("fails the loader's record for a retry, and only its last receive publishes object.failed with the reason", async () => {
    const target = await refusingTarget();
    const contract = ordersContract("refused_orders");
    const store = new MemoryObjectStore();
    const publisher = new MemoryEventPublisher();
    const handler = createLoaderHandler({
      store,
      target,
      registry: new DatasetRegistry([contract]),
      publisher,
      logger: createMemoryLogger("loader"),
      maxReceiveCount: 3,
    });
    const staged = await stageRun(store, contract, [orderRow(1)]);
    const record = sqsRecordOf(staged);
    const receive = (count: number) =>
      sqsEvent([{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: String(count) } }]);

    const early = [await handler(receive(1)), await handler(receive(2))];
    const publishedBeforeLast = publisher.events.length;
    const last = await handler(receive(3));

    for (const response of [...early, last])
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(publishedBeforeLast).toBe(0);
    expect(publisher.events.map((event) => [event.type, event.data])).toEqual([
      [
        "sluice.object.failed",
        expect.objectContaining({
          runId: staged.data.runId,
          phase: "loader",
          reason: "database-unavailable",
          message: "database unavailable: connection refused",
          retryable: true,
        }),
      ],
    ]);
    await target.close();
  });
});

/** A pooled client whose statements answer from a script: `dead` fails every one as a reset socket would. */
class ScriptedClient extends EventEmitter {
  readonly statements: string[] = [];
  released: "kept" | "destroyed" | undefined;

  constructor(private readonly failFrom: number) {
    super();
  }

  async query(text: string): Promise<{ rows: unknown[]; rowCount: number }> {
    this.statements.push(text);
    if (this.statements.length >= this.failFrom)
      throw Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    return { rows: [], rowCount: 0 };
  }

  release(destroy?: boolean): void {
    this.released = destroy ? "destroyed" : "kept";
  }
}

/** A `pg` pool handing out `clients` in order (and emitting `connect` for each, as pg-pool does). */
function scriptedPool(...clients: ScriptedClient[]): { pool: Pool; checkouts: () => number } {
  const pool = new EventEmitter() as EventEmitter & {
    connect(): Promise<ScriptedClient>;
    end(): Promise<void>;
  };
  let next = 0;
  pool.connect = async () => {
    const client = clients[next++];
    if (!client) throw new Error("no more scripted clients");
    pool.emit("connect", client);
    return client;
  };
  pool.end = async () => undefined;
  return { pool: pool as unknown as Pool, checkouts: () => next };
}

describe("a pooled connection that died unnoticed", () => {
  test("found dead at BEGIN is discarded and the transaction runs on a new connection", async () => {
    const dead = new ScriptedClient(1);
    const alive = new ScriptedClient(Number.POSITIVE_INFINITY);
    const target = new PgLoadTarget(scriptedPool(dead, alive).pool);

    const result = await target.transaction(async (session) => {
      await session.query("SELECT 1");
      return "done";
    });

    expect(result).toBe("done");
    expect(dead).toMatchObject({ statements: ["BEGIN"], released: "destroyed" });
    expect(alive).toMatchObject({ statements: ["BEGIN", "SELECT 1", "COMMIT"], released: "kept" });
  });

  test("is not replaced once the work has begun: the load fails as database-unavailable, for a retry", async () => {
    const diesMidWork = new ScriptedClient(3);
    const { pool, checkouts } = scriptedPool(diesMidWork, new ScriptedClient(Number.POSITIVE_INFINITY));
    const target = new PgLoadTarget(pool);

    const error = await target
      .transaction(async (session) => {
        await session.query("SELECT 1");
        await session.query("SELECT 2");
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toBe("database unavailable: connection reset");
    expect(checkouts()).toBe(1);
  });

  test("twice in a row fails the transaction as database-unavailable", async () => {
    const target = new PgLoadTarget(scriptedPool(new ScriptedClient(1), new ScriptedClient(1)).pool);

    const error = await target.transaction(async () => "never").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
  });
});

const onServer = serverUrl ? describe : describe.skip;
if (!serverUrl) console.warn("SLUICE_TEST_DATABASE_URL is not set: lost-connection tests are skipped");

onServer("a connection the server terminates", () => {
  let target: PgLoadTarget;
  let admin: Client;

  beforeEach(async () => {
    target = new PgLoadTarget(new Pool({ connectionString: serverUrl, max: 1 }));
    admin = new Client({ connectionString: serverUrl });
    await admin.connect();
  });

  afterEach(async () => {
    await target.close();
    await admin.end();
  });

  /** Terminates the backend `pid` and waits until the server no longer lists it. */
  async function terminate(pid: number): Promise<void> {
    await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    const deadline = Date.now() + 30_000;
    while ((await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid])).rowCount) {
      if (Date.now() > deadline) throw new Error(`backend ${pid} still listed 30 s after its termination`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  test("mid-COPY fails the transaction with DatabaseUnavailableError, and the next one opens a new connection", async () => {
    let terminated = false;
    let reads = 0;
    let streaming: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      streaming = resolve;
    });
    const rows = new Readable({
      read() {
        // One row at a time, slowly, so the COPY is still streaming when its backend goes away.
        if (++reads === 3) streaming();
        setTimeout(() => this.push(terminated ? null : "1\n"), 20);
      },
    });

    const error = await target
      .transaction(async (session) => {
        const [row] = (await session.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
        await session.query("CREATE TEMP TABLE copied (n int)");
        const copying = session.copyFrom("COPY copied FROM STDIN", rows);
        await started;
        await terminate(row!.pid);
        terminated = true;
        return copying;
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toMatch(/^database unavailable: /);
    const after = await target.query<{ one: number }>("SELECT 1 AS one");
    expect(after.rows).toEqual([{ one: 1 }]);
  });

  test("while idle in a transaction fails its next statement with DatabaseUnavailableError, without an unhandled error event", async () => {
    const error = await target
      .transaction(async (session) => {
        const [row] = (await session.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows;
        // Between statements the client has no query to fail: it emits `error`, which the target
        // must listen to (an unhandled one fails this test file).
        await terminate(row!.pid);
        await new Promise((resolve) => setImmediate(resolve));
        return session.query("SELECT 1");
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((await target.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });

  test("a statement the server refuses is its own error, not a connection failure", async () => {
    const error = await target.query("SELECT no_such_column FROM pg_class").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatabaseError);
    expect(error).not.toBeInstanceOf(DatabaseUnavailableError);
    expect((await target.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
  });
});
