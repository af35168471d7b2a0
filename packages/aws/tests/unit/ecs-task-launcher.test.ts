import {
  AccessDeniedException,
  ECSClient,
  InvalidParameterException,
  ListTasksCommand,
  RunTaskCommand,
  ServerException,
} from "@aws-sdk/client-ecs";
import { createEvent, ENV, parseEvent, RetryableError } from "@sluice/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import {
  clientTokenOf,
  EcsTaskLauncher,
  ecsTaskLauncherConfigFromEnv,
  startedByOf,
  TaskLaunchError,
} from "../../src";

const RUN_ID = "r-0123456789abcdef0123456789abcdef";
const TASK_ARN = "arn:aws:ecs:eu-west-1:123456789012:task/sluice-dev/0a1b2c3d4e5f";
const config = {
  cluster: "arn:aws:ecs:eu-west-1:123456789012:cluster/sluice-dev",
  taskDefinition: "arn:aws:ecs:eu-west-1:123456789012:task-definition/sluice-dev-legacy-wrapper:3",
  containerName: "legacy-wrapper",
  subnets: ["subnet-aaa", "subnet-bbb"],
  securityGroups: ["sg-123"],
};

const received = createEvent(
  "sluice.object.received",
  "sluice/listener",
  {
    runId: RUN_ID,
    object: { bucket: "raw", key: "ledger/2026/ledger 11.dat", size: 9_000_000, eTag: "abc" },
    dataset: "ledger",
    contractVersion: 1,
    route: "container",
  },
  { id: "evt-1" },
);

describe("EcsTaskLauncher", () => {
  const ecs = mockClient(ECSClient);
  const launcher = new EcsTaskLauncher(new ECSClient({ region: "eu-west-1" }), config);

  beforeEach(() => {
    ecs.reset();
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });
  });

  it("runs one Fargate task in private subnets with the event in the container's environment", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }], failures: [] });

    const result = await launcher.launch({ event: received });

    expect(result).toEqual({ taskId: TASK_ARN, alreadyRunning: false });
    expect(ecs).toHaveReceivedCommandTimes(RunTaskCommand, 1);
    const input = ecs.commandCalls(RunTaskCommand)[0]!.args[0].input;
    expect(input).toMatchObject({
      cluster: config.cluster,
      taskDefinition: config.taskDefinition,
      launchType: "FARGATE",
      count: 1,
      startedBy: RUN_ID,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: ["subnet-aaa", "subnet-bbb"],
          securityGroups: ["sg-123"],
          assignPublicIp: "DISABLED",
        },
      },
    });
    // No tags: tagging on RunTask would need ecs:TagResource too; startedBy already names the run.
    expect(Object.keys(input).sort()).toEqual([
      "clientToken",
      "cluster",
      "count",
      "launchType",
      "networkConfiguration",
      "overrides",
      "startedBy",
      "taskDefinition",
    ]);
    expect(input.startedBy!.length).toBeLessThanOrEqual(36);
    expect(input.clientToken).toMatch(/^[0-9a-f]{64}$/);
    const override = input.overrides!.containerOverrides![0]!;
    expect(override.name).toBe("legacy-wrapper");
    expect(override.environment).toHaveLength(1);
    expect(override.environment![0]!.name).toBe(ENV.taskEvent);
    expect(parseEvent(override.environment![0]!.value!, "sluice.object.received")).toEqual(received);
  });

  it("does not start a second task while one for the run is running", async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [TASK_ARN] });

    const result = await launcher.launch({ event: received });

    expect(result).toEqual({ taskId: TASK_ARN, alreadyRunning: true });
    expect(ecs).toHaveReceivedCommandWith(ListTasksCommand, {
      cluster: config.cluster,
      startedBy: RUN_ID,
      desiredStatus: "RUNNING",
    });
    expect(ecs).not.toHaveReceivedCommand(RunTaskCommand);
  });

  it("sends the same client token for a redelivery and a new one for a replay", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });
    const replay = createEvent("sluice.object.received", "sluice/cli", received.data, { id: "evt-2" });

    await launcher.launch({ event: received });
    await launcher.launch({ event: received });
    await launcher.launch({ event: replay });

    const tokens = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input.clientToken);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens[2]).not.toBe(tokens[0]);
    expect(tokens[0]).toBe(clientTokenOf(RUN_ID, "evt-1"));
  });

  it("tells a retry which attempt it is, under a client token of its own", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [{ taskArn: TASK_ARN }] });

    await launcher.launch({ event: received, attempt: 2 });
    await launcher.launch({ event: received, attempt: 2 });
    await launcher.launch({ event: received, attempt: 3 });

    const inputs = ecs.commandCalls(RunTaskCommand).map((call) => call.args[0].input);
    const tokens = inputs.map((input) => input.clientToken);
    expect(new Set(tokens).size).toBe(2);
    expect(tokens[0]).toBe(tokens[1]);
    expect(tokens).not.toContain(clientTokenOf(RUN_ID, "evt-1"));
    const environment = inputs[2]!.overrides!.containerOverrides![0]!.environment!;
    expect(environment.map(({ name }) => name)).toEqual([ENV.taskEvent, ENV.taskAttempt]);
    expect(environment[1]!.value).toBe("3");
    expect(parseEvent(environment[0]!.value!, "sluice.object.received")).toEqual(received);
  });

  it("raises a retryable error when Fargate has no capacity", async () => {
    ecs.on(RunTaskCommand).resolves({
      tasks: [],
      failures: [
        {
          reason:
            "Capacity is unavailable at this time. Please try again later or in a different availability zone",
        },
      ],
    });

    const error = await launcher.launch({ event: received }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).code).toBe("ecs-no-capacity");
  });

  it("raises a retryable error for RESOURCE:* placement failures", async () => {
    ecs.on(RunTaskCommand).resolves({ tasks: [], failures: [{ reason: "RESOURCE:MEMORY", arn: "arn:x" }] });

    await expect(launcher.launch({ event: received })).rejects.toBeInstanceOf(RetryableError);
  });

  it("raises a retryable error when ECS throttles RunTask", async () => {
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $fault: "client",
      $metadata: { httpStatusCode: 400 },
    });
    ecs.on(RunTaskCommand).rejects(throttled);

    const error = await launcher.launch({ event: received }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).context).toMatchObject({
      runId: RUN_ID,
      awsError: "ThrottlingException",
    });
  });

  it("raises a retryable error when ECS answers with a server error", async () => {
    ecs
      .on(RunTaskCommand)
      .rejects(new ServerException({ message: "internal", $metadata: { httpStatusCode: 500 } }));

    await expect(launcher.launch({ event: received })).rejects.toBeInstanceOf(RetryableError);
  });

  it("reports other RunTask failures as a non-retryable launch error naming the reason", async () => {
    ecs
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ reason: "MISSING", arn: config.taskDefinition, detail: "gone" }] });

    const error = await launcher.launch({ event: received }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TaskLaunchError);
    expect((error as TaskLaunchError).disposition).toBe("dead-letter");
    expect((error as TaskLaunchError).message).toContain("MISSING");
    expect((error as TaskLaunchError).message).toContain("gone");
  });

  it("reports an answer with neither a task nor a failure instead of ignoring it", async () => {
    ecs.on(RunTaskCommand).resolves({});

    await expect(launcher.launch({ event: received })).rejects.toBeInstanceOf(TaskLaunchError);
  });

  it("does not retry a request ECS refuses for good", async () => {
    ecs
      .on(RunTaskCommand)
      .rejects(new InvalidParameterException({ message: "bad subnet", $metadata: { httpStatusCode: 400 } }));

    await expect(launcher.launch({ event: received })).rejects.toBeInstanceOf(TaskLaunchError);
  });

  it("maps a failing ListTasks like a failing RunTask", async () => {
    ecs
      .on(ListTasksCommand)
      .rejects(new AccessDeniedException({ message: "denied", $metadata: { httpStatusCode: 400 } }));

    await expect(launcher.launch({ event: received })).rejects.toBeInstanceOf(TaskLaunchError);
    expect(ecs).not.toHaveReceivedCommand(RunTaskCommand);
  });
});

describe("startedByOf", () => {
  it("keeps a run id that fits and digests one that does not", () => {
    expect(startedByOf(RUN_ID)).toBe(RUN_ID);
    const long = startedByOf(`run-${"x".repeat(60)}`);
    expect(long).toMatch(/^r-[0-9a-f]{34}$/);
  });
});

describe("ecsTaskLauncherConfigFromEnv", () => {
  it("reads cluster, task definition, container, subnets and security groups from core's names", () => {
    const env = {
      [ENV.ecsClusterArn]: config.cluster,
      [ENV.ecsTaskDefinitionArn]: config.taskDefinition,
      [ENV.ecsContainerName]: config.containerName,
      [ENV.ecsSubnets]: "subnet-aaa, subnet-bbb",
      [ENV.ecsSecurityGroups]: "sg-123",
    };

    expect(ecsTaskLauncherConfigFromEnv(env)).toEqual(config);
  });

  it("names the missing variable", () => {
    expect(() => ecsTaskLauncherConfigFromEnv({})).toThrow(ENV.ecsClusterArn);
  });
});
