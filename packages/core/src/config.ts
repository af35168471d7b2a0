import { ConfigError } from "./errors";

/**
 * Names of the environment variables phases read. The infrastructure sets exactly these on
 * each Lambda and ECS task, and the local runtime sets the same ones, so a handler cannot tell
 * where it runs.
 */
export const ENV = {
  /** ARN of the SNS topic pipeline events are published to. */
  eventsTopicArn: "SLUICE_EVENTS_TOPIC_ARN",
  /** Bucket raw files land in. */
  rawBucket: "SLUICE_RAW_BUCKET",
  /** Bucket staged rows, rejects and manifests are written to. */
  stagingBucket: "SLUICE_STAGING_BUCKET",
  /** Folder of dataset contracts (`*.json`); bundles carry them beside the handler. */
  contractsDir: "SLUICE_CONTRACTS_DIR",
  /** Full Postgres connection URL (local runs and tests). */
  databaseUrl: "DATABASE_URL",
  /** ARN of the RDS-managed Secrets Manager secret holding `username` and `password`. */
  databaseSecretArn: "SLUICE_DATABASE_SECRET_ARN",
  databaseHost: "SLUICE_DATABASE_HOST",
  databasePort: "SLUICE_DATABASE_PORT",
  databaseName: "SLUICE_DATABASE_NAME",
  /** ECS RunTask settings of the container launcher. */
  ecsClusterArn: "SLUICE_ECS_CLUSTER_ARN",
  ecsTaskDefinitionArn: "SLUICE_ECS_TASK_DEFINITION_ARN",
  ecsContainerName: "SLUICE_ECS_CONTAINER_NAME",
  /** Comma-separated subnet ids / security group ids for the Fargate task's awsvpc network. */
  ecsSubnets: "SLUICE_ECS_SUBNETS",
  ecsSecurityGroups: "SLUICE_ECS_SECURITY_GROUPS",
  /**
   * The `maxReceiveCount` of the function's queue (its redrive policy): on the receive that is
   * the last before the DLQ, the loader also publishes a retryable failure as
   * `sluice.object.failed`, so the DLQ entry has its reason.
   */
  maxReceiveCount: "SLUICE_MAX_RECEIVE_COUNT",
  /**
   * Fan-out of the transform: objects of at least this many bytes are cut into parts staged in
   * parallel (`sluice.part.requested` on the transform queue); unset or 0, never.
   */
  fanOutMinBytes: "SLUICE_FANOUT_MIN_BYTES",
  /** Bytes wanted per part of a fanned-out object. */
  partBytes: "SLUICE_PART_BYTES",
  /**
   * The listener's cap on the lambda route: an object of an `auto` contract above this many bytes
   * goes to the container even under the contract's threshold (the stacks derive it from the
   * loader's timeout); unset or 0, no cap.
   */
  lambdaRouteMaxBytes: "SLUICE_LAMBDA_ROUTE_MAX_BYTES",
  /** The `sluice.object.received` event (JSON) a legacy-wrapper task processes. */
  taskEvent: "SLUICE_TASK_EVENT",
  /** Which attempt at its run a legacy-wrapper task is (1 when unset): the launcher's container override. */
  taskAttempt: "SLUICE_TASK_ATTEMPT",
  /**
   * How many times a run's container task is started before a retryable stop (killed, Fargate
   * Spot, never started, exit 75) is left failed; default {@link DEFAULT_TASK_MAX_ATTEMPTS}.
   */
  taskMaxAttempts: "SLUICE_TASK_MAX_ATTEMPTS",
} as const;

/** Attempts of a run's container task when {@link ENV.taskMaxAttempts} is unset. */
export const DEFAULT_TASK_MAX_ATTEMPTS = 3;

/** The value of a required environment variable, or a {@link ConfigError} naming it. */
export function requireEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "")
    throw new ConfigError(`environment variable ${name} is not set`, { name });
  return value;
}

/** A positive integer from the environment, or `fallback` when unset. */
export function intFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  return intInRangeFromEnv(name, fallback, { min: 1, max: Number.MAX_SAFE_INTEGER }, env);
}

/** An integer from `range.min` to `range.max` from the environment, or `fallback` when unset. */
export function intInRangeFromEnv(
  name: string,
  fallback: number,
  range: { min: number; max: number },
  env: NodeJS.ProcessEnv = process.env,
): number {
  const value = env[name];
  if (value === undefined || value === "") return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < range.min || parsed > range.max) {
    const wanted =
      range.min === 1 && range.max === Number.MAX_SAFE_INTEGER
        ? "a positive integer"
        : `an integer from ${range.min} to ${range.max}`;
    throw new ConfigError(`environment variable ${name}=${value} is not ${wanted}`, { name });
  }
  return parsed;
}
