import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import {
  type BatchMode,
  createMemoryLogger,
  createSqsBatchHandler,
  MalformedEventError,
  RetryableError,
  type SqsRecordHandler,
} from "../../src";

/** The documented SQS event, one record per body, message ids `m-1`, `m-2`, … */
function sqsEvent(...bodies: string[]): SQSEvent {
  const documented = JSON.parse(
    readFileSync(join(__dirname, "fixtures", "sqs-event.json"), "utf8"),
  ) as SQSEvent;
  const template = documented.Records[0]!;
  return {
    Records: bodies.map(
      (body, i): SQSRecord => ({ ...structuredClone(template), messageId: `m-${i + 1}`, body }),
    ),
  };
}

/** A record handler that notes when each body starts and ends, yielding in between; `fail` throws. */
function recordingHandler(order: string[]): SqsRecordHandler {
  return async (record) => {
    order.push(`start ${record.body}`);
    await new Promise((resolve) => setImmediate(resolve));
    if (record.body === "fail") throw new RetryableError("throttled", "slow down");
    order.push(`end ${record.body}`);
  };
}

function handlerFor(mode: BatchMode, handleRecord: SqsRecordHandler) {
  const logger = createMemoryLogger("listener");
  return { logger, handle: createSqsBatchHandler({ mode, logger, handleRecord }) };
}

describe("createSqsBatchHandler", () => {
  it.each<[BatchMode, string, string[]]>([
    [
      "sequential",
      "finishes each record before starting the next",
      ["start a", "end a", "start fail", "start b", "end b"],
    ],
    [
      "parallel",
      "starts every record before any finishes",
      ["start a", "start fail", "start b", "end a", "end b"],
    ],
  ])("in %s mode %s, and reports only the failed record", async (mode, _behaviour, expectedOrder) => {
    const order: string[] = [];
    const { handle } = handlerFor(mode, recordingHandler(order));

    const response = await handle(sqsEvent("a", "fail", "b"));

    expect(order).toEqual(expectedOrder);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-2" }] });
  });

  it("reports every record, rather than throwing, when the whole batch fails", async () => {
    const { handle } = handlerFor("parallel", recordingHandler([]));

    const response = await handle(sqsEvent("fail", "fail"));

    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }] });
  });

  it("logs each failure once with its message id and disposition, quoting the body of a dead letter", async () => {
    const { handle, logger } = handlerFor("sequential", async (record) => {
      if (record.body === "not an event") throw new MalformedEventError("not JSON", { field: "body" });
      throw new Error("connection reset");
    });

    await handle(sqsEvent("not an event", "fine but unlucky"));

    const failures = logger.lines.filter((line) => line.level === "ERROR");
    expect(failures).toEqual([
      expect.objectContaining({
        message: "message failed",
        phase: "listener",
        messageId: "m-1",
        disposition: "dead-letter",
        code: "malformed-event",
        context: { field: "body" },
        body: "not an event",
        receiveCount: "1",
        error: expect.objectContaining({ name: "MalformedEventError", message: "not JSON" }),
      }),
      expect.objectContaining({ messageId: "m-2", disposition: "retry", error: expect.any(Object) }),
    ]);
    expect(failures[1]).not.toHaveProperty("body");
  });

  it("keeps the keys a record appends on that record's lines only, even in parallel", async () => {
    const { handle, logger } = handlerFor("parallel", async (record, recordLogger) => {
      recordLogger.appendKeys({ runId: `run-${record.body}` });
      await new Promise((resolve) => setImmediate(resolve));
      recordLogger.info("handled");
    });

    await handle(sqsEvent("a", "b"));

    expect(logger.lines.map(({ messageId, runId }) => ({ messageId, runId }))).toEqual([
      { messageId: "m-1", runId: "run-a" },
      { messageId: "m-2", runId: "run-b" },
    ]);
  });
});
