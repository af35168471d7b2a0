import { AwsProvider } from "@cdktf/provider-aws/lib/provider";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ENV } from "@sluice/core";
import { LocalBackend, S3Backend, TerraformOutput, TerraformStack } from "cdktf";
import type { Construct } from "constructs";
import { Alarms } from "./alarms";
import { assertBundlesExist } from "./bundles";
import { FUNCTION_NAMES, type FunctionName, type SluiceConfig } from "./config";
import { Database } from "./database";
import { LegacyWrapperTasks } from "./ecs";
import { PipelineKey } from "./encryption";
import { EventsArchive } from "./events-archive";
import { PhaseFunction } from "./functions";
import { allow, type PolicyStatement } from "./iam";
import { Messaging } from "./messaging";
import { Network } from "./network";
import { Storage } from "./storage";
import { lambdaRouteMaxBytesOf } from "./throughput";

/** Where the bundles put the dataset contracts: `contracts/` beside the handler in the zip. */
export const LAMBDA_CONTRACTS_DIR = "/var/task/contracts";

/** The staging bucket's prefix phases write (core's `stagingKeysOf`: `staged/<dataset>/<runId>/…`). */
const STAGING_PREFIX = "staged/*";

/**
 * One environment of Sluice: buckets, the events topic and consumer queues, the phase functions,
 * Postgres in a private VPC, the legacy-wrapper Fargate task, and alarms.
 */
export class SluiceStack extends TerraformStack {
  public readonly key: PipelineKey;
  public readonly storage: Storage;
  public readonly messaging: Messaging;
  public readonly eventsArchive: EventsArchive;
  public readonly network: Network;
  public readonly database: Database;
  public readonly tasks: LegacyWrapperTasks;
  public readonly functions: Record<FunctionName, PhaseFunction>;
  public readonly alarms: Alarms;

  constructor(
    scope: Construct,
    id: string,
    public readonly config: SluiceConfig,
  ) {
    super(scope, id);
    assertBundlesExist(config.bundles);
    new AwsProvider(this, "aws", {
      region: config.region,
      // Refuses to plan or apply with credentials of any other account.
      allowedAccountIds: [config.accountId],
      defaultTags: [
        { tags: { project: config.namePrefix, environment: config.environment, managedBy: "cdktf" } },
      ],
    });
    this.configureBackend();

    this.key = new PipelineKey(this, "key", config);
    this.storage = new Storage(this, "storage", config);
    this.messaging = new Messaging(this, "messaging", { config, rawBucket: this.storage.raw.bucket });
    this.eventsArchive = new EventsArchive(this, "events-archive", {
      config,
      topic: this.messaging.eventsTopic,
    });
    this.network = new Network(this, "network", config);
    this.database = new Database(this, "database", { config, network: this.network });

    const raw = this.storage.raw.bucket;
    const staging = this.storage.staging.bucket;
    const topic = this.messaging.eventsTopic;
    const readRaw = [
      allow(["s3:GetObject", "s3:GetObjectVersion"], `${raw.arn}/*`),
      // Without ListBucket a missing key answers 403 instead of 404.
      allow("s3:ListBucket", raw.arn),
    ];
    const readStaging = [
      allow("s3:GetObject", `${staging.arn}/${STAGING_PREFIX}`),
      allow("s3:ListBucket", staging.arn),
    ];
    const writeStaging = [
      allow(["s3:PutObject", "s3:GetObject"], `${staging.arn}/${STAGING_PREFIX}`),
      allow("s3:ListBucket", staging.arn),
    ];
    const publish = allow("sns:Publish", topic.arn);
    const common: Record<string, string> = {
      [ENV.eventsTopicArn]: topic.arn,
      [ENV.rawBucket]: raw.bucket,
      [ENV.stagingBucket]: staging.bucket,
    };
    // The loader's database: by secret ARN (RDS keeps and rotates the password), never a password.
    // The legacy-wrapper task gets the same, to load the container-route runs it stages.
    const database: Record<string, string> = {
      [ENV.databaseSecretArn]: this.database.secretArn,
      [ENV.databaseHost]: this.database.instance.address,
      [ENV.databasePort]: String(config.database.port),
      [ENV.databaseName]: config.database.databaseName,
    };
    // The secret is encrypted with the AWS-managed `aws/secretsmanager` key, which needs no grant.
    const readDatabaseSecret = allow("secretsmanager:GetSecretValue", this.database.secretArn);

    this.tasks = new LegacyWrapperTasks(this, "legacy-wrapper", {
      config,
      logKeyArn: this.key.key.arn,
      // The task knows whether its retryable failure is retried (announced, not alerted).
      environment: { ...common, ...database, [ENV.taskMaxAttempts]: String(config.ecs.maxAttempts) },
      taskStatements: [...readRaw, ...writeStaging, publish, readDatabaseSecret],
    });

    const lambdaEnvironment = { ...common, [ENV.contractsDir]: LAMBDA_CONTRACTS_DIR };
    const phase = (name: FunctionName, environment: Record<string, string>, statements: PolicyStatement[]) =>
      new PhaseFunction(this, name, {
        name,
        config,
        queue: this.messaging.queues[name],
        environment: { ...lambdaEnvironment, ...environment },
        statements,
        logKeyArn: this.key.key.arn,
        vpc:
          name === "loader"
            ? { subnets: this.network.privateSubnets, securityGroup: this.network.loaderSecurityGroup }
            : undefined,
      });
    const { tasks } = this;
    this.functions = {
      listener: phase("listener", { [ENV.lambdaRouteMaxBytes]: String(lambdaRouteMaxBytesOf(config)) }, [
        ...readRaw,
        publish,
      ]),
      // Fan-out: ranged GETs of raw (s3:GetObject), parts and their part.json put, got and listed in staging.
      transform: phase(
        "transform",
        {
          [ENV.fanOutMinBytes]: String(config.fanOut.minBytes),
          [ENV.partBytes]: String(config.fanOut.partBytes),
        },
        [...readRaw, ...writeStaging, publish],
      ),
      loader: phase(
        "loader",
        {
          ...database,
          // The last receive before the DLQ publishes its failure, so the DLQ entry has a reason.
          [ENV.maxReceiveCount]: String(config.queues.maxReceiveCount),
          // Node 20+ Lambda runtimes do not trust the RDS certificate authorities unless told to.
          NODE_EXTRA_CA_CERTS: "/var/runtime/ca-cert.pem",
        },
        [...readStaging, publish, readDatabaseSecret],
      ),
      launcher: phase(
        "launcher",
        {
          [ENV.ecsClusterArn]: tasks.cluster.arn,
          [ENV.ecsTaskDefinitionArn]: tasks.taskDefinition.arn,
          [ENV.ecsContainerName]: config.ecs.containerName,
          [ENV.taskMaxAttempts]: String(config.ecs.maxAttempts),
          [ENV.ecsSubnets]: this.network.privateSubnets.map((subnet) => subnet.id).join(","),
          [ENV.ecsSecurityGroups]: this.network.taskSecurityGroup.id,
        },
        [
          allow("ecs:RunTask", `${tasks.taskDefinition.arnWithoutRevision}:*`, {
            ArnEquals: { "ecs:cluster": tasks.cluster.arn },
          }),
          // Finding the run's task already running: ListTasks is scoped by the cluster condition.
          allow("ecs:ListTasks", "*", { ArnEquals: { "ecs:cluster": tasks.cluster.arn } }),
          allow("iam:PassRole", [tasks.taskRole.role.arn, tasks.executionRole.role.arn], {
            StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
          }),
          publish,
        ],
      ),
    };

    const watchedQueues: Record<string, SqsQueue> = {
      alerts: this.messaging.alertsQueue.queue,
      "alerts-dlq": this.messaging.alertsQueue.deadLetterQueue,
    };
    for (const name of FUNCTION_NAMES)
      watchedQueues[`${name}-dlq`] = this.messaging.queues[name].deadLetterQueue;
    this.alarms = new Alarms(this, "alarms", {
      config,
      keyArn: this.key.key.arn,
      functions: this.functions,
      watchedQueues,
    });

    this.outputs();
  }

  private configureBackend(): void {
    const backend = this.config.stateBackend;
    if (backend.type === "local") {
      new LocalBackend(this, { path: backend.path });
      return;
    }
    const s3 = new S3Backend(this, {
      bucket: backend.bucket,
      key: backend.key,
      region: backend.region,
      encrypt: true,
    });
    // Terraform ≥ 1.10 locks with a lock object beside the state; no DynamoDB table needed.
    s3.addOverride("use_lockfile", true);
  }

  /** Names and ARNs an operator needs; never a credential (the database secret is referenced by ARN only). */
  private outputs(): void {
    const output = (id: string, value: string, description: string) =>
      new TerraformOutput(this, id, { value, description });
    output("raw_bucket", this.storage.raw.bucket.bucket, "Bucket raw files are dropped into");
    output("staging_bucket", this.storage.staging.bucket.bucket, "Bucket of staged rows, rejects, manifests");
    output("events_topic_arn", this.messaging.eventsTopic.arn, "Pipeline events topic");
    output("alerts_topic_arn", this.alarms.alertsTopic.arn, "Alarms publish here");
    output("alerts_queue_url", this.messaging.alertsQueue.queue.url, "Failed and quarantined objects");
    output("ecr_repository_url", this.tasks.repository.repositoryUrl, "Push the legacy-wrapper image here");
    output("database_endpoint", this.database.instance.endpoint, "Postgres host:port (private)");
    output("database_secret_arn", this.database.secretArn, "RDS-managed secret with the master credentials");
    const archive = this.eventsArchive.bucket.bucket.bucket;
    const { prefix } = this.config.eventsArchive;
    output(
      "events_archive_bucket",
      archive,
      "Bucket keeping every pipeline event (NDJSON of SNS notifications)",
    );
    output("events_archive_prefix", prefix, "Key prefix of the archived events");
    output("events_archive_url", `s3://${archive}/${prefix}`, "sluice status --archive <this>");
    output("region", this.config.region, "Region of the stack");
    const deadLetterQueues: Record<string, string> = {
      "alerts-dlq": this.messaging.alertsQueue.deadLetterQueue.url,
    };
    for (const name of FUNCTION_NAMES)
      deadLetterQueues[`${name}-dlq`] = this.messaging.queues[name].deadLetterQueue.url;
    new TerraformOutput(this, "dead_letter_queue_urls", {
      value: deadLetterQueues,
      description: "Dead-letter queue URL by queue name (sluice status / dlq --outputs)",
    });
  }
}
