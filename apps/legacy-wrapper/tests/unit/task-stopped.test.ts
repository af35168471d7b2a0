import { createEvent, ENV, type EventPublisher, type SluiceEvent, type TaskLauncher } from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import { createLauncherHandler } from "../../src/launcher";
import { type StoppedTaskDetail, stoppedTaskFailure, TASK_STATE_CHANGE } from "../../src/task-stopped";
import sqsEvent from "../fixtures/sqs-event.json";
import { silentLogger } from "../support/memory";

const CONTAINER = "legacy-wrapper";
const TASK_ARN =
  "arn:aws:ecs:eu-west-1:111111111111:task/sluice-dev-cluster/0b69d5c0d655438a8a1e7d4b5ba3a2c3";

const received = createEvent("sluice.object.received", "sluice/listener", {
  runId: "r-0123456789abcdef0123456789abcdef",
  object: { bucket: "sluice-dev-raw", key: "ledger/2026-12.dat", size: 700_000_000, eTag: "e" },
  dataset: "ledger",
  contractVersion: 1,
  route: "container",
});

/**
 * A stopped task's `detail` as EventBridge delivers an ECS "Task State Change" (the fields of
 * the task as DescribeTasks shows it; the AWS documentation's example, trimmed), with the
 * container override the launcher sets (`EcsTaskLauncher.runTaskInput`).
 */
function stoppedTask(
  container: { exitCode?: number; reason?: string },
  stop: Partial<StoppedTaskDetail> = {},
  attempt?: number,
) {
  const environment: { name: string; value: string }[] = [
    { name: ENV.taskEvent, value: JSON.stringify(received) },
  ];
  if (attempt !== undefined) environment.push({ name: ENV.taskAttempt, value: String(attempt) });
  return {
    clusterArn: "arn:aws:ecs:eu-west-1:111111111111:cluster/sluice-dev-cluster",
    taskArn: TASK_ARN,
    taskDefinitionArn: "arn:aws:ecs:eu-west-1:111111111111:task-definition/sluice-dev-legacy-wrapper:3",
    group: "family:sluice-dev-legacy-wrapper",
    launchType: "FARGATE",
    lastStatus: "STOPPED",
    desiredStatus: "STOPPED",
    startedBy: received.data.runId,
    stopCode: "EssentialContainerExited",
    stoppedReason: "Essential container in task exited",
    containers: [
      {
        containerArn: "arn:aws:ecs:eu-west-1:111111111111:container/sluice-dev-cluster/0b69/5e1d",
        lastStatus: "STOPPED",
        name: CONTAINER,
        taskArn: TASK_ARN,
        ...container,
      },
    ],
    overrides: {
      containerOverrides: [{ name: CONTAINER, environment }],
    },
    ...stop,
  } as StoppedTaskDetail;
}

/** The EventBridge event around `detail`, as the rule's SQS target carries it in a record's body. */
function stateChangeRecord(messageId: string, detail: StoppedTaskDetail): SQSRecord {
  const body = {
    version: "0",
    id: "3317b2af-7005-947d-b652-f55e762e571a",
    "detail-type": TASK_STATE_CHANGE,
    source: "aws.ecs",
    account: "111111111111",
    time: "2026-12-02T05:20:12Z",
    region: "eu-west-1",
    resources: [TASK_ARN],
    detail,
  };
  return { ...structuredClone(sqsEvent.Records[0]!), messageId, body: JSON.stringify(body) };
}

describe("stoppedTaskFailure: the failure a stopped legacy-wrapper task owes its run", () => {
  it("fails the run as out of memory, not retryable, when the container was OOM-killed", () => {
    const failed = stoppedTaskFailure(
      stoppedTask({ exitCode: 137, reason: "OutOfMemoryError: Container killed due to memory usage" }),
      CONTAINER,
    );

    expect(failed?.type).toBe("sluice.object.failed");
    expect(failed?.data).toMatchObject({
      runId: received.data.runId,
      object: received.data.object,
      dataset: "ledger",
      phase: "legacy-wrapper",
      reason: "task-out-of-memory",
      retryable: false,
      exitCode: 137,
    });
    expect(failed?.data.message).toContain("OutOfMemoryError");
    expect(failed?.data.message).toContain(TASK_ARN);
  });

  it("fails it as killed, retryable, when Fargate Spot or a stop ended the task", () => {
    for (const stop of [
      { stopCode: "SpotInterruption", stoppedReason: "Your Spot Task was interrupted." },
      { stopCode: "UserInitiated", stoppedReason: "Task stopped by user" },
    ]) {
      const failed = stoppedTaskFailure(stoppedTask({ exitCode: 1 }, stop), CONTAINER);
      expect(failed?.data).toMatchObject({ reason: "task-killed", retryable: true, exitCode: 1 });
    }
    expect(stoppedTaskFailure(stoppedTask({ exitCode: 137 }), CONTAINER)?.data.reason).toBe("task-killed");
  });

  it("fails it as not started, retryable, when the container never ran (an image pull, capacity)", () => {
    const failed = stoppedTaskFailure(
      stoppedTask(
        {},
        {
          stopCode: "TaskFailedToStart",
          stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        },
      ),
      CONTAINER,
    );

    expect(failed?.data).toMatchObject({ reason: "task-not-started", retryable: true });
    expect(failed?.data.exitCode).toBeUndefined();
    expect(failed?.data.message).toContain("CannotPullContainerError");
  });

  it("fails it as exited, not retryable, on an exit the wrapper does not report with (64 bad input, 70 could not publish, a crash)", () => {
    for (const exitCode of [64, 70, 1]) {
      expect(stoppedTaskFailure(stoppedTask({ exitCode }), CONTAINER)?.data).toMatchObject({
        reason: "task-exited",
        retryable: false,
        exitCode,
      });
    }
  });

  it("adds nothing when the wrapper reported the outcome itself (exit 0, 65, 75), the task is not stopped, or is not a Sluice run", () => {
    for (const exitCode of [0, 65, 75])
      expect(stoppedTaskFailure(stoppedTask({ exitCode }), CONTAINER)).toBeUndefined();
    expect(
      stoppedTaskFailure({ ...stoppedTask({ exitCode: 137 }), lastStatus: "RUNNING" }, CONTAINER),
    ).toBeUndefined();
    expect(
      stoppedTaskFailure({ ...stoppedTask({ exitCode: 137 }), overrides: {} }, CONTAINER),
    ).toBeUndefined();
  });
});

describe("launcher handler with stopped tasks", () => {
  function setUp(maxAttempts = 1) {
    const published: SluiceEvent[] = [];
    const publisher: EventPublisher = { publish: async (event) => void published.push(event) };
    const launched: string[] = [];
    const attempts: (number | undefined)[] = [];
    const launcher: TaskLauncher = {
      launch: async ({ event, attempt }) => {
        launched.push(event.data.runId);
        attempts.push(attempt);
        return { taskId: "task/1", alreadyRunning: false };
      },
    };
    const handler = createLauncherHandler({
      launcher,
      logger: silentLogger(),
      stoppedTasks: { publisher, containerName: CONTAINER, maxAttempts },
    });
    return { handler, published, launched, attempts };
  }

  it("starts a run's task again after a retryable stop while it has attempts left, naming the attempt in the failure", async () => {
    const { handler, published, launched, attempts } = setUp(3);

    const response = await handler({
      Records: [
        stateChangeRecord("m-1", stoppedTask({ exitCode: 137 }, { stopCode: "SpotInterruption" })),
        stateChangeRecord("m-2", stoppedTask({ exitCode: 75 }, {}, 2)),
        stateChangeRecord("m-3", stoppedTask({}, { stopCode: "TaskFailedToStart" }, 2)),
        // The last attempt, and stops a retry would not mend: failed, not started again.
        stateChangeRecord("m-4", stoppedTask({ exitCode: 143 }, {}, 3)),
        stateChangeRecord(
          "m-5",
          stoppedTask({ exitCode: 137, reason: "OutOfMemoryError: Container killed" }),
        ),
        stateChangeRecord("m-6", stoppedTask({ exitCode: 65 })),
        stateChangeRecord("m-7", stoppedTask({ exitCode: 70 })),
      ],
    });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(attempts).toEqual([2, 3, 3]);
    expect(launched).toEqual([received.data.runId, received.data.runId, received.data.runId]);
    const failures = published.map((event) => event.data as { reason: string; message: string });
    expect(failures.map((failed) => failed.reason)).toEqual([
      "task-killed",
      "task-not-started",
      "task-killed",
      "task-out-of-memory",
      "task-exited",
    ]);
    expect(failures[0]!.message).toMatch(/started again automatically \(attempt 2 of 3\)$/);
    expect(published.map((event) => (event.data as { nextAttempt?: number }).nextAttempt)).toEqual([
      2,
      3,
      undefined,
      undefined,
      undefined,
    ]);
    expect(failures[1]!.message).toMatch(/started again automatically \(attempt 3 of 3\)$/);
    for (const failed of failures.slice(2)) expect(failed.message).not.toMatch(/started again/);
  });

  it("publishes the failure of a task killed before it reported, and launches the received events of the same batch", async () => {
    const { handler, published, launched } = setUp();
    const other = createEvent("sluice.object.received", "sluice/listener", {
      ...received.data,
      runId: "r-fedcba9876543210fedcba9876543210",
    });

    const response = await handler({
      Records: [
        stateChangeRecord("m-1", stoppedTask({ exitCode: 137 })),
        stateChangeRecord("m-2", stoppedTask({ exitCode: 75 })),
        { ...structuredClone(sqsEvent.Records[0]!), messageId: "m-3", body: JSON.stringify(other) },
      ],
    });

    expect(response).toEqual({ batchItemFailures: [] });
    expect(
      published.map((event) => [event.type, event.data.runId, (event.data as { reason: string }).reason]),
    ).toEqual([["sluice.object.failed", received.data.runId, "task-killed"]]);
    expect(launched).toEqual([other.data.runId]);
  });

  it("fails the record (SQS retries it, then its DLQ) when the task's event is malformed or the publish fails", async () => {
    const { handler } = setUp();
    const malformed: StoppedTaskDetail = {
      ...stoppedTask({ exitCode: 137 }),
      overrides: {
        containerOverrides: [{ name: CONTAINER, environment: [{ name: ENV.taskEvent, value: "{not json" }] }],
      },
    };

    const failing = createLauncherHandler({
      launcher: { launch: async () => ({ taskId: "t", alreadyRunning: false }) },
      logger: silentLogger(),
      stoppedTasks: {
        publisher: { publish: async () => Promise.reject(new Error("SNS unavailable")) },
        containerName: CONTAINER,
        maxAttempts: 1,
      },
    });

    expect(await handler({ Records: [stateChangeRecord("m-1", malformed)] })).toEqual({
      batchItemFailures: [{ itemIdentifier: "m-1" }],
    });
    expect(await failing({ Records: [stateChangeRecord("m-2", stoppedTask({ exitCode: 137 }))] })).toEqual({
      batchItemFailures: [{ itemIdentifier: "m-2" }],
    });
  });
});
