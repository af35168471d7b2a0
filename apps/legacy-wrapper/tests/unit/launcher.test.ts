import {
  attributesOf,
  createEvent,
  createMemoryLogger,
  RetryableError,
  type SluiceEvent,
  type TaskLauncher,
  type TaskLaunchRequest,
} from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import { createLauncherHandler } from "../../src/launcher";
import sqsEvent from "../fixtures/sqs-event.json";
import { silentLogger } from "../support/memory";

function received(key: string, route: "lambda" | "container" = "container") {
  const object = { bucket: "raw", key, size: 700_000_000, eTag: "e" };
  return createEvent("sluice.object.received", "sluice/listener", {
    runId: `r-${Buffer.from(key).toString("hex").padEnd(32, "0").slice(0, 32)}`,
    object,
    dataset: "ledger",
    contractVersion: 1,
    route,
  });
}

/** The documented SQS record with its message id and body replaced. */
function sqsRecord(messageId: string, body: string): SQSRecord {
  return { ...structuredClone(sqsEvent.Records[0]!), messageId, body };
}

/** An SQS record carrying `event` as SNS delivers it without raw message delivery. */
function snsRecord(messageId: string, event: SluiceEvent): SQSRecord {
  const attributes = Object.fromEntries(
    Object.entries(attributesOf(event)).map(([name, value]) => [name, { Type: "String", Value: value }]),
  );
  return sqsRecord(
    messageId,
    JSON.stringify({
      Type: "Notification",
      MessageId: messageId,
      Message: JSON.stringify(event),
      MessageAttributes: attributes,
    }),
  );
}

class FakeLauncher implements TaskLauncher {
  readonly requests: TaskLaunchRequest[] = [];
  constructor(
    private readonly behave: (
      request: TaskLaunchRequest,
    ) => Promise<{ taskId: string; alreadyRunning: boolean }>,
  ) {}
  launch(request: TaskLaunchRequest) {
    this.requests.push(request);
    return this.behave(request);
  }
}

describe("launcher handler", () => {
  it("starts one task per received event, passing the event unchanged", async () => {
    const launcher = new FakeLauncher(async (r) => ({
      taskId: `task/${r.event.data.runId}`,
      alreadyRunning: false,
    }));
    const handler = createLauncherHandler({ launcher, logger: silentLogger() });
    const a = received("ledger/a.dat");
    const b = received("ledger/b.dat");

    const response = await handler({
      Records: [snsRecord("m-1", a), sqsRecord("m-2", JSON.stringify(b))],
    });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(launcher.requests.map((r) => r.event)).toEqual([a, b]);
  });

  it("reports only the records whose launch failed, so SQS redelivers just those", async () => {
    const launcher = new FakeLauncher(async (r) => {
      if (r.event.data.object.key === "ledger/busy.dat")
        throw new RetryableError("ecs-no-capacity", "no capacity");
      return { taskId: "task/1", alreadyRunning: false };
    });
    const handler = createLauncherHandler({ launcher, logger: silentLogger() });

    const response = await handler({
      Records: [snsRecord("m-1", received("ledger/ok.dat")), snsRecord("m-2", received("ledger/busy.dat"))],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
    expect(launcher.requests).toHaveLength(2);
  });

  it("fails a malformed message or one routed to lambda without launching anything", async () => {
    const launcher = new FakeLauncher(async () => ({ taskId: "t", alreadyRunning: false }));
    const logger = createMemoryLogger("launcher");
    const handler = createLauncherHandler({ launcher, logger });

    const response = await handler({
      Records: [sqsRecord("m-1", "{not json"), snsRecord("m-2", received("ledger/x.dat", "lambda"))],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }]);
    expect(launcher.requests).toEqual([]);
    const failures = logger.lines.filter((line) => line.level === "ERROR");
    expect(failures.map(({ messageId, disposition }) => ({ messageId, disposition }))).toEqual([
      { messageId: "m-1", disposition: "dead-letter" },
      { messageId: "m-2", disposition: "dead-letter" },
    ]);
  });

  it("treats a task already running for the run as done", async () => {
    const launcher = new FakeLauncher(async () => ({ taskId: "task/running", alreadyRunning: true }));
    const handler = createLauncherHandler({ launcher, logger: silentLogger() });

    const response = await handler({ Records: [snsRecord("m-1", received("ledger/a.dat"))] });

    expect(response.batchItemFailures).toEqual([]);
  });

  it("launches the records of a batch one after another (LAUNCHER_BATCH_MODE) and fails only the one that failed", async () => {
    const order: string[] = [];
    const launcher = new FakeLauncher(async (r) => {
      const key = r.event.data.object.key;
      order.push(`start ${key}`);
      await new Promise((resolve) => setImmediate(resolve));
      if (key === "ledger/busy.dat") throw new RetryableError("ecs-no-capacity", "no capacity");
      order.push(`end ${key}`);
      return { taskId: `task/${key}`, alreadyRunning: false };
    });
    const handler = createLauncherHandler({ launcher, logger: silentLogger() });
    const keys = ["ledger/a.dat", "ledger/busy.dat", "ledger/b.dat"];

    const response = await handler({ Records: keys.map((key, i) => snsRecord(`m-${i + 1}`, received(key))) });

    expect(order).toEqual([
      "start ledger/a.dat",
      "end ledger/a.dat",
      "start ledger/busy.dat",
      "start ledger/b.dat",
      "end ledger/b.dat",
    ]);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-2" }]);
  });
});
