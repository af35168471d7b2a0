import * as path from "node:path";
import { DEFAULT_TASK_MAX_ATTEMPTS } from "@sluice/core";
import {
  DEV_FAN_OUT,
  DEV_LAMBDA_ROUTE,
  type FanOutConfig,
  type LambdaRouteConfig,
  PROD_FAN_OUT,
  PROD_LAMBDA_ROUTE,
  PROD_TRANSFORM_CONCURRENCY,
  throughputProblems,
} from "./throughput";

/** The environments Sluice is deployed to; one Terraform stack each. */
export type Environment = "dev" | "prod";

/** The Lambda functions of the pipeline, one per phase plus the container launcher. */
export type FunctionName = "listener" | "transform" | "loader" | "launcher";

/** Every function name, in the order stacks create them. */
export const FUNCTION_NAMES: readonly FunctionName[] = ["listener", "transform", "loader", "launcher"];

/** Sizing and SQS polling of one function. */
export interface FunctionConfig {
  memoryMb: number;
  timeoutSeconds: number;
  /** Reserved concurrency; also the event source mapping's maximum concurrency, so SQS never throttles it. */
  reservedConcurrency: number;
  /** Messages per invocation. */
  batchSize: number;
  /** Seconds the event source mapping may wait to fill a batch. */
  maxBatchingWindowSeconds: number;
}

/**
 * How the raw bucket announces a new object to the listener's queue: an S3 event notification
 * (`s3-notification`), or S3 → EventBridge → a rule targeting the queue (`eventbridge`).
 */
export type RawDelivery = "s3-notification" | "eventbridge";

/** Every {@link RawDelivery}. */
export const RAW_DELIVERIES: readonly RawDelivery[] = ["s3-notification", "eventbridge"];

/** Where state lives: a local file (synth, tests) or an S3 bucket per environment (real deploys). */
export type StateBackendConfig =
  | { type: "local"; path: string }
  | {
      type: "s3";
      bucket: string;
      /** Object key of the state; defaults to `sluice/<environment>/terraform.tfstate`. */
      key: string;
      region: string;
    };

/** Everything that differs between environments or tunes the infrastructure. */
export interface SluiceConfig {
  environment: Environment;
  /** Prefix of every resource name, e.g. `sluice` gives `sluice-dev-raw-…`. */
  namePrefix: string;
  region: string;
  /**
   * The AWS account the stack deploys to. The provider refuses any other account, and the
   * account id builds the few ARNs and the unique bucket names, so no data source asks AWS at plan time.
   */
  accountId: string;
  /** At least two, because an RDS subnet group spans two availability zones. */
  availabilityZones: string[];
  vpcCidr: string;
  /**
   * Interface VPC endpoints for the private subnets (service suffix of `com.amazonaws.<region>.<x>`).
   * S3 always gets a gateway endpoint in addition.
   */
  interfaceEndpoints: string[];
  /** Zip files of the Lambda bundles made by each app's `build`. */
  bundles: Record<FunctionName, string>;
  functions: Record<FunctionName, FunctionConfig>;
  /** The transform's fan-out of large objects over parts (`throughput.ts`). */
  fanOut: FanOutConfig;
  /** What sizes the listener's cap on the lambda route (`throughput.ts`, `lambdaRouteMaxBytesOf`). */
  lambdaRoute: LambdaRouteConfig;
  queues: {
    /** Receives before a message moves to its dead-letter queue. */
    maxReceiveCount: number;
    /** Visibility timeout = multiplier × the consumer's timeout + its batching window. AWS asks for at least 6. */
    visibilityTimeoutMultiplier: number;
    messageRetentionSeconds: number;
    deadLetterRetentionSeconds: number;
  };
  storage: {
    /** Days staged rows, rejects and manifests are kept after a load. */
    stagedExpirationDays: number;
    /** Days an overwritten or deleted raw object version is kept. */
    rawNoncurrentVersionDays: number;
    abortIncompleteUploadDays: number;
    /** Deletes buckets with objects in them on destroy (dev only). */
    forceDestroy: boolean;
    /** How new raw objects reach the listener (see {@link RawDelivery}). */
    rawDelivery: RawDelivery;
  };
  database: {
    instanceClass: string;
    engineVersion: string;
    allocatedStorageGb: number;
    maxAllocatedStorageGb: number;
    databaseName: string;
    masterUsername: string;
    port: number;
    multiAz: boolean;
    deletionProtection: boolean;
    backupRetentionDays: number;
    /** Dev tears down without a final snapshot; prod keeps one. */
    skipFinalSnapshot: boolean;
    performanceInsights: boolean;
  };
  ecs: {
    containerName: string;
    /** Image tag the task definition runs from the ECR repository. */
    imageTag: string;
    cpu: number;
    memoryMb: number;
    cpuArchitecture: "ARM64" | "X86_64";
    containerInsights: boolean;
    /** Untagged images kept in the repository. */
    untaggedImagesKept: number;
    /**
     * Tasks a run gets: after a retryable stop (killed, Fargate Spot, never started, exit 75)
     * the launcher starts the run's task again until this many have run (`SLUICE_TASK_MAX_ATTEMPTS`).
     */
    maxAttempts: number;
  };
  logs: { retentionDays: number };
  /**
   * Every event published on the topic, kept in S3 by an SNS → Firehose subscription, as NDJSON
   * of SNS notifications: what `sluice status` reads in a deployed environment.
   */
  eventsArchive: {
    /** Key prefix of the archived objects (Firehose adds `YYYY/MM/DD/HH/`). Ends with `/`. */
    prefix: string;
    /** Key prefix of records Firehose could not deliver or process. Ends with `/`. */
    errorPrefix: string;
    /** Firehose writes an object when this many MiB are buffered (1..128) … */
    bufferingSizeMb: number;
    /** … or when this many seconds have passed (0..900): how stale status can be at most. */
    bufferingIntervalSeconds: number;
    compression: "GZIP" | "UNCOMPRESSED";
    /** Days archived events are kept. */
    retentionDays: number;
  };
  alarms: {
    /** Function errors per period that raise an alarm. */
    functionErrorThreshold: number;
    periodSeconds: number;
    /** Optional e-mail subscribed to the alerts topic. */
    email?: string;
  };
  stateBackend: StateBackendConfig;
}

/** Overrides of a default config; nested records are merged one level deep. */
export type SluiceConfigOverrides = Partial<Omit<SluiceConfig, "functions">> & {
  functions?: Partial<Record<FunctionName, Partial<FunctionConfig>>>;
};

/** The repository root, from this file's place in `infrastructure/src`. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Where each app's `build` writes its Lambda zip. */
export function defaultBundles(repoRoot: string = REPO_ROOT): Record<FunctionName, string> {
  return {
    listener: path.join(repoRoot, "apps", "listener", "dist", "listener.zip"),
    transform: path.join(repoRoot, "apps", "transform", "dist", "transform.zip"),
    loader: path.join(repoRoot, "apps", "loader", "dist", "loader.zip"),
    launcher: path.join(repoRoot, "apps", "legacy-wrapper", "dist", "launcher.zip"),
  };
}

const DEV: SluiceConfig = {
  environment: "dev",
  namePrefix: "sluice",
  region: "eu-west-1",
  accountId: "111111111111",
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  vpcCidr: "10.40.0.0/16",
  interfaceEndpoints: ["sns", "sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager"],
  bundles: defaultBundles(),
  functions: {
    listener: {
      memoryMb: 256,
      timeoutSeconds: 30,
      reservedConcurrency: 2,
      batchSize: 10,
      maxBatchingWindowSeconds: 1,
    },
    transform: {
      memoryMb: 1024,
      timeoutSeconds: 300,
      reservedConcurrency: 2,
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
    },
    loader: {
      memoryMb: 512,
      timeoutSeconds: 300,
      reservedConcurrency: 2,
      batchSize: 1,
      maxBatchingWindowSeconds: 0,
    },
    launcher: {
      memoryMb: 256,
      timeoutSeconds: 30,
      reservedConcurrency: 2,
      batchSize: 5,
      maxBatchingWindowSeconds: 1,
    },
  },
  fanOut: DEV_FAN_OUT,
  lambdaRoute: DEV_LAMBDA_ROUTE,
  queues: {
    maxReceiveCount: 5,
    visibilityTimeoutMultiplier: 6,
    messageRetentionSeconds: 4 * 24 * 3600,
    deadLetterRetentionSeconds: 14 * 24 * 3600,
  },
  storage: {
    stagedExpirationDays: 7,
    rawNoncurrentVersionDays: 7,
    abortIncompleteUploadDays: 1,
    forceDestroy: true,
    rawDelivery: "s3-notification",
  },
  database: {
    instanceClass: "db.t4g.micro",
    engineVersion: "16",
    allocatedStorageGb: 20,
    maxAllocatedStorageGb: 50,
    databaseName: "sluice",
    masterUsername: "sluice_admin",
    port: 5432,
    multiAz: false,
    deletionProtection: false,
    backupRetentionDays: 1,
    skipFinalSnapshot: true,
    performanceInsights: false,
  },
  ecs: {
    containerName: "legacy-wrapper",
    imageTag: "latest",
    cpu: 512,
    memoryMb: 1024,
    cpuArchitecture: "ARM64",
    containerInsights: false,
    untaggedImagesKept: 5,
    maxAttempts: DEFAULT_TASK_MAX_ATTEMPTS,
  },
  logs: { retentionDays: 14 },
  eventsArchive: {
    prefix: "events/",
    errorPrefix: "events-errors/",
    bufferingSizeMb: 5,
    bufferingIntervalSeconds: 60,
    compression: "GZIP",
    retentionDays: 30,
  },
  alarms: { functionErrorThreshold: 1, periodSeconds: 300 },
  stateBackend: { type: "local", path: "terraform.dev.tfstate" },
};

const PROD: SluiceConfig = {
  ...DEV,
  environment: "prod",
  accountId: "222222222222",
  availabilityZones: ["eu-west-1a", "eu-west-1b", "eu-west-1c"],
  vpcCidr: "10.41.0.0/16",
  functions: {
    listener: { ...DEV.functions.listener, reservedConcurrency: 10 },
    transform: {
      ...DEV.functions.transform,
      memoryMb: 2048,
      timeoutSeconds: 900,
      reservedConcurrency: PROD_TRANSFORM_CONCURRENCY,
    },
    loader: { ...DEV.functions.loader, memoryMb: 1024, timeoutSeconds: 900, reservedConcurrency: 5 },
    launcher: { ...DEV.functions.launcher, reservedConcurrency: 5 },
  },
  fanOut: PROD_FAN_OUT,
  lambdaRoute: PROD_LAMBDA_ROUTE,
  storage: {
    ...DEV.storage,
    stagedExpirationDays: 30,
    rawNoncurrentVersionDays: 30,
    forceDestroy: false,
  },
  database: {
    ...DEV.database,
    instanceClass: "db.m7g.large",
    allocatedStorageGb: 100,
    maxAllocatedStorageGb: 500,
    multiAz: true,
    deletionProtection: true,
    backupRetentionDays: 14,
    skipFinalSnapshot: false,
    performanceInsights: true,
  },
  ecs: { ...DEV.ecs, cpu: 1024, memoryMb: 4096, containerInsights: true, untaggedImagesKept: 10 },
  logs: { retentionDays: 90 },
  eventsArchive: { ...DEV.eventsArchive, bufferingIntervalSeconds: 300, retentionDays: 400 },
  stateBackend: { type: "local", path: "terraform.prod.tfstate" },
};

/** A config is a mistake waiting to deploy; this names the first problem found. */
export class InvalidConfigError extends Error {
  override readonly name = "InvalidConfigError";
}

/**
 * The config of `environment`: the defaults above with `overrides` applied, validated.
 * @throws InvalidConfigError when a value cannot work on AWS (e.g. one availability zone).
 */
export function configFor(environment: Environment, overrides: SluiceConfigOverrides = {}): SluiceConfig {
  const base = environment === "dev" ? DEV : PROD;
  const functions = { ...base.functions };
  for (const name of FUNCTION_NAMES)
    functions[name] = { ...base.functions[name], ...overrides.functions?.[name] };
  const config: SluiceConfig = { ...base, ...overrides, functions, environment };
  validateConfig(config);
  return config;
}

/**
 * Checks the rules AWS would otherwise reject at apply time, or that would silently lose messages.
 * @throws InvalidConfigError naming the offending setting.
 */
export function validateConfig(config: SluiceConfig): void {
  const fail = (message: string): never => {
    throw new InvalidConfigError(`${config.environment}: ${message}`);
  };
  if (!/^\d{12}$/.test(config.accountId))
    fail(`accountId "${config.accountId}" is not a 12-digit AWS account id`);
  if (config.availabilityZones.length < 2) fail("availabilityZones needs at least two zones for RDS");
  if (!RAW_DELIVERIES.includes(config.storage.rawDelivery))
    fail(`storage.rawDelivery "${config.storage.rawDelivery}" must be one of ${RAW_DELIVERIES.join(", ")}`);
  if (config.queues.visibilityTimeoutMultiplier < 6)
    fail("queues.visibilityTimeoutMultiplier must be at least 6 (AWS guidance for Lambda consumers)");
  const archive = config.eventsArchive;
  if (archive.bufferingSizeMb < 1 || archive.bufferingSizeMb > 128)
    fail("eventsArchive.bufferingSizeMb must be 1..128 (Firehose's limits)");
  if (archive.bufferingIntervalSeconds < 0 || archive.bufferingIntervalSeconds > 900)
    fail("eventsArchive.bufferingIntervalSeconds must be 0..900 (Firehose's limits)");
  for (const [name, prefix] of [
    ["prefix", archive.prefix],
    ["errorPrefix", archive.errorPrefix],
  ] as const)
    if (!/^[^/].*\/$/.test(prefix))
      fail(`eventsArchive.${name} "${prefix}" must be non-empty and end with /`);
  if (archive.errorPrefix.startsWith(archive.prefix) || archive.prefix.startsWith(archive.errorPrefix))
    fail(
      "eventsArchive.errorPrefix must not overlap eventsArchive.prefix (status reads every object under prefix)",
    );
  if (!Number.isInteger(config.ecs.maxAttempts) || config.ecs.maxAttempts < 1 || config.ecs.maxAttempts > 10)
    fail("ecs.maxAttempts must be 1..10 (1: a stopped task's run is never started again)");
  for (const problem of throughputProblems(config)) fail(problem);
  for (const name of FUNCTION_NAMES) {
    const fn = config.functions[name];
    if (fn.timeoutSeconds < 1 || fn.timeoutSeconds > 900)
      fail(`functions.${name}.timeoutSeconds must be 1..900`);
    if (fn.memoryMb < 128 || fn.memoryMb > 10240) fail(`functions.${name}.memoryMb must be 128..10240`);
    if (fn.reservedConcurrency < 2 || fn.reservedConcurrency > 1000)
      fail(
        `functions.${name}.reservedConcurrency must be 2..1000 (the SQS event source's maximum concurrency)`,
      );
    if (visibilityTimeoutOf(config, name) > 43200)
      fail(`the ${name} queue's visibility timeout would exceed SQS's 12 hours`);
  }
}

/** The visibility timeout (seconds) of the queue consumed by `name`. */
export function visibilityTimeoutOf(config: SluiceConfig, name: FunctionName): number {
  const fn = config.functions[name];
  return config.queues.visibilityTimeoutMultiplier * fn.timeoutSeconds + fn.maxBatchingWindowSeconds;
}

/** `<prefix>-<environment>-<suffix>`, the name of every resource in a stack. */
export function resourceName(config: SluiceConfig, suffix: string): string {
  return `${config.namePrefix}-${config.environment}-${suffix}`;
}
