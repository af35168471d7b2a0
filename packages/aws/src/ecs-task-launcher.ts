import { createHash } from "node:crypto";
import {
  type ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  type Failure as RunTaskFailure,
} from "@aws-sdk/client-ecs";
import {
  ConfigError,
  ENV,
  RetryableError,
  type RunId,
  requireEnv,
  SluiceError,
  type TaskLauncher,
  type TaskLaunchRequest,
  type TaskLaunchResult,
} from "@sluice/core";
import { httpStatusOf, isRetryableAwsError } from "./errors";

/** Where and how legacy-wrapper tasks run. */
export interface EcsTaskLauncherConfig {
  /** Cluster name or ARN. */
  cluster: string;
  /** Task definition family, `family:revision` or ARN. */
  taskDefinition: string;
  /** The container whose environment carries the event. */
  containerName: string;
  /** Subnets of the task's awsvpc network interface (private subnets: no public IP is assigned). */
  subnets: string[];
  securityGroups: string[];
  /** Fargate platform version; ECS picks `LATEST` when unset. */
  platformVersion?: string;
}

/** Reads {@link EcsTaskLauncherConfig} from core's `ENV` names; fails fast naming what is missing. */
export function ecsTaskLauncherConfigFromEnv(env: NodeJS.ProcessEnv = process.env): EcsTaskLauncherConfig {
  const list = (name: string) =>
    requireEnv(name, env)
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  const config: EcsTaskLauncherConfig = {
    cluster: requireEnv(ENV.ecsClusterArn, env),
    taskDefinition: requireEnv(ENV.ecsTaskDefinitionArn, env),
    containerName: requireEnv(ENV.ecsContainerName, env),
    subnets: list(ENV.ecsSubnets),
    securityGroups: list(ENV.ecsSecurityGroups),
  };
  if (config.subnets.length === 0)
    throw new ConfigError(`${ENV.ecsSubnets} names no subnet`, { name: ENV.ecsSubnets });
  return config;
}

/** A RunTask that ECS refused for a reason retrying will not fix (bad parameters, missing resource). */
export class TaskLaunchError extends SluiceError {
  readonly disposition = "dead-letter" as const;
}

/** The longest `startedBy` ECS accepts. */
export const MAX_STARTED_BY_LENGTH = 36;

/** The `startedBy` tag of the task of `runId`: the run id itself when it fits, else a digest of it. */
export function startedByOf(runId: RunId): string {
  if (runId.length <= MAX_STARTED_BY_LENGTH && /^[A-Za-z0-9_/-]+$/.test(runId)) return runId;
  return `r-${createHash("sha256")
    .update(runId)
    .digest("hex")
    .slice(0, MAX_STARTED_BY_LENGTH - 2)}`;
}

/**
 * The RunTask client token of one attempt at one emission of a run's `object.received` event.
 * Redeliveries of the same message carry the same event id, so ECS returns the first task
 * instead of starting a second one; a deliberate replay is a new emission (new event id), and an
 * automatic retry a new attempt (after the first), and each does start a new task.
 */
export function clientTokenOf(runId: RunId, eventId: string, attempt = 1): string {
  const of = attempt > 1 ? `${runId}\u0000${eventId}\u0000${attempt}` : `${runId}\u0000${eventId}`;
  return createHash("sha256").update(of).digest("hex").slice(0, 64);
}

/** RunTask exceptions (by SDK error name) that a later retry can get past besides throttling and 5xx. */
const RETRYABLE_EXCEPTIONS = new Set(["LimitExceededException"]);

/** True for RunTask `failures` that mean "no capacity right now": placement resources, agent, Fargate capacity. */
export function isCapacityFailure(failure: RunTaskFailure): boolean {
  const reason = failure.reason ?? "";
  return reason.startsWith("RESOURCE:") || reason === "AGENT" || /capacity/i.test(reason);
}

function describeFailures(failures: RunTaskFailure[]): string {
  return failures
    .map((f) => [f.reason, f.detail, f.arn].filter((part) => part !== undefined && part !== "").join(" "))
    .join("; ");
}

/** Maps an ECS client error to a typed error: retry for throttling, capacity and network trouble. */
function toLaunchError(error: unknown, runId: RunId): SluiceError {
  const name = (error as { name?: string }).name ?? "Error";
  const message = error instanceof Error ? error.message : String(error);
  const context = { runId, awsError: name, httpStatus: httpStatusOf(error) };
  if (isRetryableAwsError(error) || RETRYABLE_EXCEPTIONS.has(name) || /capacity/i.test(message)) {
    return new RetryableError("ecs-unavailable", `ECS RunTask failed (${name}): ${message}`, context, {
      cause: error,
    });
  }
  return new TaskLaunchError("ecs-refused", `ECS refused RunTask (${name}): ${message}`, context, {
    cause: error,
  });
}

/**
 * Starts one legacy-wrapper task per run on ECS Fargate. Idempotent: a task already running for
 * the run (found by its `startedBy` tag) is reported instead of starting a second one, and the
 * client token makes a redelivered request return the task the first request started.
 */
export class EcsTaskLauncher implements TaskLauncher {
  constructor(
    private readonly client: Pick<ECSClient, "send">,
    private readonly config: EcsTaskLauncherConfig,
  ) {}

  /** The RunTask request for `request` (exposed for tests and dry runs). */
  runTaskInput(request: TaskLaunchRequest): RunTaskCommandInput {
    const { event } = request;
    const attempt = request.attempt ?? 1;
    const environment: { name: string; value: string }[] = [
      { name: ENV.taskEvent, value: JSON.stringify(event) },
    ];
    if (attempt > 1) environment.push({ name: ENV.taskAttempt, value: String(attempt) });
    const input: RunTaskCommandInput = {
      cluster: this.config.cluster,
      taskDefinition: this.config.taskDefinition,
      launchType: "FARGATE",
      count: 1,
      startedBy: startedByOf(event.data.runId),
      clientToken: clientTokenOf(event.data.runId, event.id, attempt),
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: this.config.subnets,
          securityGroups: this.config.securityGroups,
          assignPublicIp: "DISABLED",
        },
      },
      overrides: {
        containerOverrides: [
          {
            name: this.config.containerName,
            environment,
          },
        ],
      },
    };
    if (this.config.platformVersion) input.platformVersion = this.config.platformVersion;
    return input;
  }

  /**
   * Starts the task for the request's run, or finds the one already running. Throws a
   * {@link RetryableError} on throttling or missing capacity, a {@link TaskLaunchError} when ECS
   * refuses the request for good (both reported by the launcher as batch item failures).
   */
  async launch(request: TaskLaunchRequest): Promise<TaskLaunchResult> {
    const runId = request.event.data.runId;
    const input = this.runTaskInput(request);
    try {
      const running = await this.client.send(
        new ListTasksCommand({
          cluster: this.config.cluster,
          startedBy: input.startedBy,
          desiredStatus: "RUNNING",
        }),
      );
      const existing = running.taskArns?.[0];
      if (existing !== undefined) return { taskId: existing, alreadyRunning: true };
    } catch (error) {
      throw toLaunchError(error, runId);
    }

    let output: RunTaskCommandOutput;
    try {
      output = await this.client.send(new RunTaskCommand(input));
    } catch (error) {
      throw toLaunchError(error, runId);
    }
    const taskArn = output.tasks?.[0]?.taskArn;
    const failures = output.failures ?? [];
    if (taskArn !== undefined) return { taskId: taskArn, alreadyRunning: false };
    const context = {
      runId,
      failures: failures.map((f) => ({ reason: f.reason, detail: f.detail, arn: f.arn })),
    };
    if (failures.length > 0 && failures.every(isCapacityFailure)) {
      throw new RetryableError(
        "ecs-no-capacity",
        `ECS could not place the task: ${describeFailures(failures)}`,
        context,
      );
    }
    throw new TaskLaunchError(
      "ecs-run-task-failed",
      failures.length > 0
        ? `ECS RunTask started no task: ${describeFailures(failures)}`
        : "ECS RunTask started no task and reported no failure",
      context,
    );
  }
}
