import { join } from "node:path";
import type { Context, SQSEvent } from "aws-lambda";
import {
  FunctionHost,
  type InvocationReport,
  LocalQueue,
  ManualClock,
  type SqsFunctionHandler,
} from "../../src";
import { ioSettled, runClockUntil, tempDir } from "../helpers";

const POLL_INTERVAL_MS = 20;

describe("FunctionHost", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let host: FunctionHost;
  let reports: InvocationReport[];
  let queue: LocalQueue;
  let dlq: LocalQueue;
  let clock: ManualClock;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    reports = [];
    clock = new ManualClock();
    host = new FunctionHost({
      pollIntervalMs: POLL_INTERVAL_MS,
      onInvocation: (report) => reports.push(report),
      clock,
    });
    dlq = await LocalQueue.open(join(dir, "q"), "work-dlq", { clock });
    queue = await LocalQueue.open(join(dir, "q"), "work", {
      settings: { visibilityTimeoutMs: 50, maxReceiveCount: 3 },
      deadLetterQueue: dlq,
      clock,
    });
  });
  afterEach(async () => {
    await host.stop();
    await cleanup();
  });

  async function run(handler: SqsFunctionHandler, settings = {}, environment = {}) {
    await host.register({ name: "work-fn", queue, environment, createHandler: () => handler, settings });
    host.start();
  }

  const drained = async () => {
    const counts = await queue.counts();
    return counts.visible + counts.inFlight === 0 && host.activeInvocations() === 0;
  };

  it("invokes the handler with AWS-shaped SQS records and a Lambda context, then deletes the messages", async () => {
    const events: SQSEvent[] = [];
    const contexts: Context[] = [];
    let remaining = 0;
    await queue.send("hello");

    await run(
      async (event, context) => {
        events.push(event);
        contexts.push(context);
        remaining = context.getRemainingTimeInMillis();
      },
      { timeoutMs: 5000 },
    );
    await runClockUntil(clock, drained, "queue drained");

    const record = events[0]!.Records[0]!;
    expect(record).toMatchObject({
      body: "hello",
      eventSource: "aws:sqs",
      eventSourceARN: "arn:aws:sqs:us-east-1:000000000000:work",
      awsRegion: "us-east-1",
      attributes: { ApproximateReceiveCount: "1", SenderId: "LOCAL" },
    });
    expect(record.receiptHandle).toEqual(expect.any(String));
    expect(contexts[0]).toMatchObject({
      functionName: "work-fn",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:us-east-1:000000000000:function:work-fn",
      awsRequestId: reports[0]!.requestId,
    });
    expect(remaining).toBeGreaterThan(4000);
    expect(remaining).toBeLessThanOrEqual(5000);
    expect(reports.map((r) => r.outcome)).toEqual(["succeeded"]);
  });

  it("builds the handler once from the function's environment", async () => {
    const seen: Record<string, string>[] = [];
    await host.register({
      name: "env-fn",
      queue,
      environment: { SLUICE_STAGING_BUCKET: "staging" },
      createHandler: (environment) => {
        seen.push({ ...environment });
        return async () => undefined;
      },
    });

    expect(seen).toEqual([{ SLUICE_STAGING_BUCKET: "staging" }]);
    expect(host.environmentOf("env-fn")).toEqual({ SLUICE_STAGING_BUCKET: "staging" });
  });

  it("passes at most batchSize messages per invocation", async () => {
    for (let i = 0; i < 7; i++) await queue.send(`m${i}`);
    const sizes: number[] = [];

    await run(
      async (event) => {
        sizes.push(event.Records.length);
      },
      { batchSize: 3 },
    );
    await runClockUntil(clock, drained, "queue drained");

    expect(sizes).toEqual([3, 3, 1]);
  });

  it("redelivers only the messages a handler reports in batchItemFailures", async () => {
    await queue.send("good");
    await queue.send("bad");
    const attempts: string[] = [];

    await run(async (event) => {
      const failures = [];
      for (const record of event.Records) {
        attempts.push(`${record.body}#${record.attributes.ApproximateReceiveCount}`);
        if (record.body === "bad" && record.attributes.ApproximateReceiveCount === "1") {
          failures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failures };
    });
    await runClockUntil(clock, drained, "queue drained");

    expect(attempts).toEqual(["good#1", "bad#1", "bad#2"]);
    expect(reports.map((r) => r.outcome)).toEqual(["partial", "succeeded"]);
  });

  it("treats a response naming an unknown message as a failure of the whole batch", async () => {
    await queue.send("one");
    let calls = 0;

    await run(async () => {
      calls++;
      return calls === 1 ? { batchItemFailures: [{ itemIdentifier: "not-in-batch" }] } : undefined;
    });
    await runClockUntil(clock, drained, "queue drained");

    expect(calls).toBe(2);
    expect(reports[0]!.outcome).toBe("failed");
  });

  it("retries a handler that throws twice, then succeeds, and processes the message once successfully", async () => {
    await queue.send("flaky");
    let calls = 0;

    await run(async () => {
      calls++;
      if (calls <= 2) throw new Error(`transient ${calls}`);
    });
    await runClockUntil(clock, drained, "queue drained");

    expect(calls).toBe(3);
    expect(reports.map((r) => r.outcome)).toEqual(["failed", "failed", "succeeded"]);
    expect(await dlq.counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it("dead-letters a message whose handler always throws, after maxReceiveCount receives", async () => {
    await queue.send("poison");

    await run(async () => {
      throw new Error("always");
    });
    await runClockUntil(clock, async () => (await dlq.counts()).visible === 1, "message in DLQ");

    expect(reports.map((r) => r.outcome)).toEqual(["failed", "failed", "failed"]);
    expect((await dlq.messages())[0]!.body).toBe("poison");
  });

  it("fails an invocation past its timeout, and the message comes back", async () => {
    await queue.send("slow once");
    let calls = 0;

    await run(
      async () => {
        calls++;
        if (calls === 1) await clock.sleep(300);
      },
      { timeoutMs: 60 },
    );
    await runClockUntil(clock, drained, "queue drained");

    expect(reports.map((r) => r.outcome)).toEqual(["timed-out", "succeeded"]);
    expect(reports[1]!.messageIds).toEqual(reports[0]!.messageIds);
  });

  it("runs at most reservedConcurrency invocations at once", async () => {
    // Visibility longer than any invocation here, so no message is redelivered while in flight.
    queue = await LocalQueue.open(join(dir, "q"), "work-slow", {
      settings: { visibilityTimeoutMs: 60_000, maxReceiveCount: 3 },
      deadLetterQueue: dlq,
      clock,
    });
    for (let i = 0; i < 6; i++) await queue.send(`m${i}`);
    let running = 0;
    let peak = 0;

    await run(
      async () => {
        running++;
        peak = Math.max(peak, running);
        await clock.sleep(30);
        running--;
      },
      { batchSize: 1, reservedConcurrency: 2, timeoutMs: 10_000 },
    );
    await runClockUntil(clock, drained, "queue drained");

    expect(peak).toBe(2);
    expect(reports).toHaveLength(6);
    expect(new Set(reports.flatMap((r) => r.messageIds)).size).toBe(6);
  });

  it("stops polling on stop and leaves unprocessed messages in the queue", async () => {
    await run(async () => undefined);
    await host.stop();

    await queue.send("later");
    await clock.advance(POLL_INTERVAL_MS * 5);
    await ioSettled();

    expect(clock.pendingTimers()).toBe(0);
    expect(reports).toHaveLength(0);
    expect(await queue.counts()).toEqual({ visible: 1, inFlight: 0 });
  });

  it("brings failed messages back after retryDelayMs instead of the whole visibility timeout", async () => {
    const slowQueue = await LocalQueue.open(join(dir, "q"), "slow", {
      settings: { visibilityTimeoutMs: 60_000, maxReceiveCount: 5 },
      clock,
    });
    await slowQueue.send("flaky");
    let calls = 0;
    await host.register({
      name: "retrying",
      queue: slowQueue,
      settings: { retryDelayMs: 30 },
      createHandler: () => async () => {
        calls++;
        if (calls === 1) throw new Error("once");
      },
    });

    const started = clock.now();
    host.start();
    await runClockUntil(clock, async () => {
      const counts = await slowQueue.counts();
      return counts.visible + counts.inFlight === 0 && host.activeInvocations() === 0;
    });

    expect(calls).toBe(2);
    expect(clock.now() - started).toBeLessThanOrEqual(30 + POLL_INTERVAL_MS);
  });

  it("refuses settings that are not positive integers", async () => {
    await expect(
      host.register({
        name: "bad",
        queue,
        createHandler: () => async () => undefined,
        settings: { batchSize: 0 },
      }),
    ).rejects.toThrow(/batchSize/);
  });
});
