import { createMemoryLogger, DatasetRegistry, type LoadTarget } from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { createLoaderHandler, qualifiedName, splitTableName } from "../../src";
import { sqsEvent, sqsRecord, sqsRecordOf } from "../support/sqs";
import { orderRow, ordersContract, STAGING_BUCKET, stageRun } from "../support/staging";
import { type OpenTarget, targetKinds } from "../support/targets";

describe.each(targetKinds("loader_handler"))("createLoaderHandler against $name", (kind) => {
  let opened: OpenTarget;
  let target: LoadTarget;

  beforeAll(async () => {
    opened = await kind.open();
    target = opened.target;
  }, 60_000);

  afterAll(async () => {
    await opened?.close();
  });

  /** A loader handler over fresh in-memory ports and the suite's target, loading into `table`. */
  function setup(table: string) {
    const contract = ordersContract(table);
    const store = new MemoryObjectStore();
    const publisher = new MemoryEventPublisher();
    const logger = createMemoryLogger("loader");
    const handler = createLoaderHandler({
      store,
      target,
      registry: new DatasetRegistry([contract]),
      publisher,
      logger,
    });
    return { contract, store, publisher, logger, handler };
  }

  test("a batch of SNS-wrapped events loads the good records and reports only the failed ones", async () => {
    const { contract, store, publisher, logger, handler } = setup("handler_orders");
    const good = await stageRun(store, contract, [orderRow(1), orderRow(2)]);
    const alsoGood = await stageRun(store, contract, [orderRow(3)]);
    const corrupt = await stageRun(store, contract, [orderRow(4)]);
    await store.put(STAGING_BUCKET, corrupt.data.staged.rowsKey, Buffer.from("not gzip at all"));
    const records = [
      sqsRecordOf(good),
      sqsRecord("{ this is not json", 2),
      sqsRecordOf(corrupt),
      sqsRecordOf(alsoGood),
    ];

    const response = await handler(sqsEvent(records));

    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: records[1]!.messageId },
      { itemIdentifier: records[2]!.messageId },
    ]);
    const loaded = await target.query<{ order_id: string }>(
      `SELECT order_id::text FROM ${qualifiedName(splitTableName(contract.table, "public"))} ORDER BY 1`,
    );
    expect(loaded.rows.map((row) => row.order_id)).toEqual(["1", "2", "3"]);
    expect(publisher.events.map((event) => event.data.runId)).toEqual([good.data.runId, alsoGood.data.runId]);
    const failures = logger.lines.filter((line) => line.level === "ERROR");
    expect(failures.map((line) => line.disposition)).toEqual(["dead-letter", "retry"]);
    expect(failures[0]).toMatchObject({ messageId: records[1]!.messageId, code: "malformed-event" });
    expect(failures[1]).toMatchObject({ messageId: records[2]!.messageId, runId: corrupt.data.runId });
  });

  test("a load the table refuses publishes object.failed with reason and message on each delivery, and still fails the record", async () => {
    const table = "handler_refused";
    await target.query(
      `CREATE TABLE ${qualifiedName(splitTableName(table, "public"))} (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount text NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, note text)`,
    );
    const { contract, store, publisher, handler } = setup(table);
    const staged = await stageRun(store, contract, [orderRow(1)]);
    const record = sqsRecordOf(staged);

    const first = await handler(sqsEvent([record]));
    const second = await handler(
      sqsEvent([{ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } }]),
    );

    expect([first, second].map((response) => response.batchItemFailures)).toEqual([
      [{ itemIdentifier: record.messageId }],
      [{ itemIdentifier: record.messageId }],
    ]);
    expect(publisher.types()).toEqual(["sluice.object.failed", "sluice.object.failed"]);
    expect(publisher.events[0]).toMatchObject({
      source: "sluice/loader",
      subject: staged.data.object.key,
      data: {
        runId: staged.data.runId,
        dataset: "orders",
        phase: "loader",
        reason: "schema-mismatch",
        retryable: false,
        message: expect.stringMatching(
          /table public\.handler_refused column amount is text but contract orders v1 declares decimal \(numeric\)/,
        ),
      },
    });
  });

  test("an event of another type is reported as a failure, not loaded", async () => {
    const { contract, store, publisher, handler } = setup("handler_other_type");
    const staged = await stageRun(store, contract, [orderRow(1)]);
    const received = { ...staged, type: "sluice.object.received" };
    const record = sqsRecord(JSON.stringify(received));

    const response = await handler(sqsEvent([record]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(publisher.events).toHaveLength(0);
  });

  test("records of a batch load one after another (LOADER_BATCH_MODE) and only the failed one is reported", async () => {
    const { contract, store, publisher, handler } = setup("handler_sequential");
    const runs = {
      a: await stageRun(store, contract, [orderRow(1)]),
      bad: await stageRun(store, contract, [orderRow(2)]),
      b: await stageRun(store, contract, [orderRow(3)]),
    };
    await store.put(STAGING_BUCKET, runs.bad.data.staged.rowsKey, Buffer.from("not gzip at all"));
    const nameOf = (runId: string) => Object.entries(runs).find(([, run]) => run.data.runId === runId)?.[0];
    const order: string[] = [];
    const get = store.get.bind(store);
    store.get = (bucket, key, options) => {
      const run = Object.entries(runs).find(([, staged]) => staged.data.staged.manifestKey === key);
      if (run) order.push(`start ${run[0]}`);
      return get(bucket, key, options);
    };
    const publish = publisher.publish.bind(publisher);
    publisher.publish = (event) => {
      order.push(`end ${nameOf(event.data.runId)}`);
      return publish(event);
    };
    const records = [runs.a, runs.bad, runs.b].map((run) => sqsRecordOf(run));

    const response = await handler(sqsEvent(records));

    expect(order).toEqual(["start a", "end a", "start bad", "start b", "end b"]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: records[1]!.messageId }]);
  });
});
