import {
  attributesOf,
  createEvent,
  RetryableError,
  type SluiceEvent,
  type TaskLauncher,
  type TaskLaunchRequest,
} from "@sluice/core";
import { createLauncherHandler, type LauncherSqsRecord } from "../../src/launcher";
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

/** An SQS record carrying `event` as SNS delivers it without raw message delivery. */
function snsRecord(messageId: string, event: SluiceEvent): LauncherSqsRecord {
  const attributes = Object.fromEntries(
    Object.entries(attributesOf(event)).map(([name, value]) => [name, { Type: "String", Value: value }]),
  );
  return {
    messageId,
    body: JSON.stringify({
      Type: "Notification",
      MessageId: messageId,
      Message: JSON.stringify(event),
      MessageAttributes: attributes,
    }),
  };
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
      Records: [snsRecord("m-1", a), { messageId: "m-2", body: JSON.stringify(b) }],
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
    const logger = silentLogger();
    const error = jest.spyOn(logger, "error");
    const handler = createLauncherHandler({ launcher, logger });

    const response = await handler({
      Records: [
        { messageId: "m-1", body: "{not json" },
        snsRecord("m-2", received("ledger/x.dat", "lambda")),
      ],
    });

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: "m-1" }, { itemIdentifier: "m-2" }]);
    expect(launcher.requests).toEqual([]);
    expect(error.mock.calls.map(([, extra]) => (extra as { disposition: string }).disposition)).toEqual([
      "dead-letter",
      "dead-letter",
    ]);
  });

  it("treats a task already running for the run as done", async () => {
    const launcher = new FakeLauncher(async () => ({ taskId: "task/running", alreadyRunning: true }));
    const handler = createLauncherHandler({ launcher, logger: silentLogger() });

    const response = await handler({ Records: [snsRecord("m-1", received("ledger/a.dat"))] });

    expect(response.batchItemFailures).toEqual([]);
  });
});
