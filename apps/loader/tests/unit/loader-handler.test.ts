import { DatasetRegistry, type LoadTarget } from "@sluice/core";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { createLoaderHandler, qualifiedName, splitTableName } from "../../src";
import { RecordingLogger } from "../support/recording";
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

  test("a batch of SNS-wrapped events loads the good records and reports only the failed ones", async () => {
    const contract = ordersContract("handler_orders");
    const store = new MemoryObjectStore();
    const publisher = new MemoryEventPublisher();
    const logger = new RecordingLogger();
    const handler = createLoaderHandler({
      store,
      target,
      registry: new DatasetRegistry([contract]),
      publisher,
      logger,
    });
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
    const failures = logger.lines.filter((line) => line.level === "error");
    expect(failures.map((line) => line.extra?.disposition)).toEqual(["dead-letter", "retry"]);
    expect(failures[0]?.extra).toMatchObject({ messageId: records[1]!.messageId, code: "malformed-event" });
  });

  test("an event of another type is reported as a failure, not loaded", async () => {
    const contract = ordersContract("handler_other_type");
    const store = new MemoryObjectStore();
    const publisher = new MemoryEventPublisher();
    const handler = createLoaderHandler({
      store,
      target,
      registry: new DatasetRegistry([contract]),
      publisher,
      logger: new RecordingLogger(),
    });
    const staged = await stageRun(store, contract, [orderRow(1)]);
    const received = { ...staged, type: "sluice.object.received" };
    const record = sqsRecord(JSON.stringify(received));

    const response = await handler(sqsEvent([record]));

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(publisher.events).toHaveLength(0);
  });
});
