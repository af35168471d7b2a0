import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { DbInstance } from "@cdktf/provider-aws/lib/db-instance";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import { S3BucketPublicAccessBlock } from "@cdktf/provider-aws/lib/s3-bucket-public-access-block";
import { S3BucketServerSideEncryptionConfigurationA } from "@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { ENV } from "@sluice/core";
import { Testing } from "cdktf";
import "cdktf/lib/testing/adapters/jest";
import { MissingBundleError } from "../src/bundles";
import { configFor, FUNCTION_NAMES, type FunctionName, visibilityTimeoutOf } from "../src/config";
import { type PolicyStatement, UNSCOPABLE_ACTIONS } from "../src/iam";
import { SecureBucket } from "../src/storage";
import { writePlaceholderBundles } from "./support/bundles";
import { resourcesOf, resourceWhere, type SynthesizedStack, synthStack } from "./support/synth";

Testing.setupJest();

const bundles = writePlaceholderBundles();
let dev: SynthesizedStack;
let prod: SynthesizedStack;

beforeAll(() => {
  dev = synthStack("dev", { bundles });
  prod = synthStack("prod", { bundles });
});

function functionNamed(synth: SynthesizedStack, name: FunctionName): Record<string, unknown> {
  return resourceWhere(
    synth,
    "aws_lambda_function",
    "function_name",
    `sluice-${synth.stack.config.environment}-${name}`,
  );
}

function envOf(synth: SynthesizedStack, name: FunctionName): Record<string, string> {
  return (functionNamed(synth, name).environment as { variables: Record<string, string> }).variables;
}

function statementsOfRole(synth: SynthesizedStack, roleName: string): PolicyStatement[] {
  const policy = resourceWhere(synth, "aws_iam_role_policy", "name", `${roleName}-policy`);
  return JSON.parse(policy.policy as string).Statement;
}

function actionsOn(statements: PolicyStatement[], resourceFragment: string): string[] {
  return statements
    .filter((statement) =>
      [statement.Resource].flat().some((resource) => resource.includes(resourceFragment)),
    )
    .flatMap((statement) => [statement.Action].flat());
}

describe("functions", () => {
  it.each(FUNCTION_NAMES)("runs %s on nodejs22.x arm64 with the config's size and concurrency", (name) => {
    const settings = configFor("prod").functions[name];
    expect(prod.json).toHaveResourceWithProperties(LambdaFunction, {
      function_name: `sluice-prod-${name}`,
      runtime: "nodejs22.x",
      architectures: ["arm64"],
      handler: "index.handler",
      memory_size: settings.memoryMb,
      timeout: settings.timeoutSeconds,
      reserved_concurrent_executions: settings.reservedConcurrency,
    });
  });

  it("consumes each queue with partial batch failure reporting", () => {
    expect(resourcesOf(dev, "aws_lambda_event_source_mapping")).toHaveLength(FUNCTION_NAMES.length);
    for (const mapping of resourcesOf(dev, "aws_lambda_event_source_mapping"))
      expect(mapping.function_response_types).toEqual(["ReportBatchItemFailures"]);
    expect(dev.json).toHaveResourceWithProperties(LambdaEventSourceMapping, {
      batch_size: configFor("dev").functions.transform.batchSize,
      scaling_config: { maximum_concurrency: configFor("dev").functions.transform.reservedConcurrency },
    });
  });

  it("gives the loader the database by secret ARN, host, port and name, and never a password or URL", () => {
    const env = envOf(dev, "loader");
    expect(Object.keys(env).sort()).toEqual(
      [
        ENV.eventsTopicArn,
        ENV.rawBucket,
        ENV.stagingBucket,
        ENV.contractsDir,
        ENV.databaseSecretArn,
        ENV.databaseHost,
        ENV.databasePort,
        ENV.databaseName,
        ENV.maxReceiveCount,
        "NODE_EXTRA_CA_CERTS",
      ].sort(),
    );
    // The loader publishes the failure of a message's last receive before the DLQ.
    expect(env[ENV.maxReceiveCount]).toBe(String(configFor("dev").queues.maxReceiveCount));
    // Node 20+ Lambda runtimes trust the RDS certificate authorities only through this file.
    expect(env.NODE_EXTRA_CA_CERTS).toBe("/var/runtime/ca-cert.pem");
    expect(env[ENV.databaseSecretArn]).toMatch(/aws_db_instance\..*\.master_user_secret\[0\]\.secret_arn/);
    expect(env[ENV.databasePort]).toBe("5432");
    expect(dev.json).not.toMatch(/"(master_)?password(_wo)?"\s*:/i);
    expect(dev.json).not.toContain(ENV.databaseUrl);
  });

  it("gives the launcher the ECS cluster, task definition, container, subnets, security group and tasks per run", () => {
    const env = envOf(dev, "launcher");
    expect(env[ENV.ecsClusterArn]).toMatch(/aws_ecs_cluster\./);
    expect(env[ENV.ecsTaskDefinitionArn]).toMatch(/aws_ecs_task_definition\..*\.arn/);
    expect(env[ENV.ecsContainerName]).toBe("legacy-wrapper");
    // A retryable stop starts the run's task again, up to the configured attempts.
    expect(env[ENV.taskMaxAttempts]).toBe(String(configFor("dev").ecs.maxAttempts));
    expect(env[ENV.ecsSubnets]?.split(",")).toHaveLength(configFor("dev").availabilityZones.length);
    expect(env[ENV.ecsSecurityGroups]).toMatch(/aws_security_group\.network_tasks/);
  });

  it("runs only the loader inside the VPC", () => {
    expect(functionNamed(dev, "loader").vpc_config).toBeDefined();
    for (const name of ["listener", "transform", "launcher"] as const)
      expect(functionNamed(dev, name).vpc_config).toBeUndefined();
  });

  it("redeploys a function when its bundle's bytes change", () => {
    const changed = writePlaceholderBundles(undefined, (name) => `changed bundle of ${name}`);
    const again = synthStack("dev", { bundles: changed });
    expect(functionNamed(again, "transform").source_code_hash).not.toBe(
      functionNamed(dev, "transform").source_code_hash,
    );
  });

  it("fails the synth naming every missing bundle zip", () => {
    const missing = { ...bundles, loader: "/nowhere/loader.zip", launcher: "/nowhere/launcher.zip" };
    expect(() => synthStack("dev", { bundles: missing })).toThrow(MissingBundleError);
    expect(() => synthStack("dev", { bundles: missing })).toThrow(
      /loader \(\/nowhere\/loader\.zip\), launcher \(\/nowhere\/launcher\.zip\)/,
    );
  });

  it("keeps function logs in encrypted groups with the configured retention", () => {
    expect(prod.json).toHaveResourceWithProperties(CloudwatchLogGroup, {
      name: "/aws/lambda/sluice-prod-loader",
      retention_in_days: configFor("prod").logs.retentionDays,
    });
    for (const group of resourcesOf(prod, "aws_cloudwatch_log_group"))
      expect(group.kms_key_id).toMatch(/aws_kms_key\./);
  });
});

describe("messaging", () => {
  it.each([
    ["transform", { type: ["sluice.object.received", "sluice.part.requested"], route: ["lambda"] }],
    ["launcher", { type: ["sluice.object.received"], route: ["container"] }],
    // Container-route runs are loaded by the task that staged them.
    ["loader", { type: ["sluice.object.staged", "sluice.object.split"], route: ["lambda"] }],
    // A failure whose run was started again automatically alerts no one.
    [
      "alerts",
      { type: ["sluice.object.failed", "sluice.object.quarantined"], retrying: [{ exists: false }] },
    ],
  ])("subscribes the %s queue with its filter policy", (queue, filter) => {
    const subscription = resourcesOf(dev, "aws_sns_topic_subscription").find((candidate) =>
      String(candidate.endpoint).includes(`messaging_${queue}_queue`),
    );
    expect(subscription).toBeDefined();
    expect(JSON.parse(subscription!.filter_policy as string)).toEqual(filter);
    expect(dev.json).toHaveResourceWithProperties(SnsTopicSubscription, {
      protocol: "sqs",
      raw_message_delivery: true,
    });
  });

  it("feeds the listener from raw-bucket ObjectCreated notifications through its queue", () => {
    expect(dev.json).toHaveResourceWithProperties(S3BucketNotification, {
      queue: [
        { events: ["s3:ObjectCreated:*"], queue_arn: expect.stringMatching(/messaging_listener_queue/) },
      ],
    });
  });

  it.each(FUNCTION_NAMES)(
    "sets the %s queue's visibility to 6x the function timeout plus its batching window",
    (name) => {
      const config = configFor("prod");
      const queue = resourceWhere(prod, "aws_sqs_queue", "name", `sluice-prod-${name}`);
      expect(queue.visibility_timeout_seconds).toBe(visibilityTimeoutOf(config, name));
      expect(queue.visibility_timeout_seconds).toBeGreaterThanOrEqual(
        6 * config.functions[name].timeoutSeconds,
      );
      expect(JSON.parse(queue.redrive_policy as string)).toEqual({
        deadLetterTargetArn: expect.stringMatching(new RegExp(`messaging_${name}_dlq`)),
        maxReceiveCount: config.queues.maxReceiveCount,
      });
    },
  );

  it("sends the cluster's stopped tasks to the launcher's queue, whose one policy lets the topic and that rule send", () => {
    const rule = resourceWhere(dev, "aws_cloudwatch_event_rule", "name", "sluice-dev-task-stopped");
    expect(JSON.parse(rule.event_pattern as string)).toEqual({
      source: ["aws.ecs"],
      "detail-type": ["ECS Task State Change"],
      detail: { clusterArn: [{ suffix: ":cluster/sluice-dev-cluster" }], lastStatus: ["STOPPED"] },
    });
    expect(resourceWhere(dev, "aws_ecs_cluster", "name", "sluice-dev-cluster")).toBeDefined();
    const target = resourceWhere(dev, "aws_cloudwatch_event_target", "target_id", "launcher-queue");
    expect(target.arn).toMatch(/messaging_launcher_queue/);
    expect(target.rule).toMatch(/messaging_task-stopped/);

    const launcherPolicies = resourcesOf(dev, "aws_sqs_queue_policy").filter((policy) =>
      String(policy.queue_url).includes("messaging_launcher_queue"),
    );
    expect(launcherPolicies).toHaveLength(1);
    const statements = JSON.parse(launcherPolicies[0]!.policy as string).Statement as PolicyStatement[];
    expect(statements.map((statement) => [statement.Principal, statement.Condition?.ArnEquals])).toEqual([
      [{ Service: "sns.amazonaws.com" }, { "aws:SourceArn": expect.stringMatching(/messaging_events/) }],
      [
        { Service: "events.amazonaws.com" },
        { "aws:SourceArn": expect.stringMatching(/messaging_task-stopped/) },
      ],
    ]);
    expect(target.depends_on).toEqual([expect.stringMatching(/launcher-from-events-topic-policy/)]);
  });

  it("encrypts every queue with SSE-SQS", () => {
    expect(dev.json).toHaveResourceWithProperties(SqsQueue, { sqs_managed_sse_enabled: true });
    for (const queue of resourcesOf(dev, "aws_sqs_queue")) expect(queue.sqs_managed_sse_enabled).toBe(true);
  });
});

describe("storage", () => {
  it("makes a private, encrypted bucket that refuses requests without TLS", () => {
    const json = Testing.synthScope((scope) => {
      new SecureBucket(scope, "bucket", {
        name: "b",
        versioned: false,
        forceDestroy: false,
        lifecycleRules: [],
      });
    });
    expect(json).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(json).toHaveResourceWithProperties(S3BucketServerSideEncryptionConfigurationA, {
      rule: [{ apply_server_side_encryption_by_default: { sse_algorithm: "AES256" } }],
    });
    const policy = Object.values(JSON.parse(json).resource.aws_s3_bucket_policy)[0] as { policy: string };
    expect(JSON.parse(policy.policy).Statement).toEqual([
      expect.objectContaining({
        Effect: "Deny",
        Principal: "*",
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      }),
    ]);
  });

  it("versions the raw bucket and expires staged runs by config", () => {
    expect(resourcesOf(dev, "aws_s3_bucket_versioning")).toHaveLength(1);
    const rules = resourcesOf(prod, "aws_s3_bucket_lifecycle_configuration").flatMap(
      (lifecycle) => lifecycle.rule as { id: string; expiration?: { days: number }[] }[],
    );
    expect(rules.find((rule) => rule.id === "expire-staged-runs")?.expiration).toEqual([
      { days: configFor("prod").storage.stagedExpirationDays },
    ]);
  });
});

describe("events archive", () => {
  const archiveRules = (synth: SynthesizedStack) =>
    (
      resourcesOf(synth, "aws_s3_bucket_lifecycle_configuration").find((lifecycle) =>
        String(lifecycle.bucket).includes("events-archive_bucket"),
      )!.rule as { id: string; filter: { prefix: string }[]; expiration?: { days: number }[] }[]
    ).filter((rule) => rule.expiration);

  it("subscribes a Firehose stream to every event on the topic, with its own role and the envelope kept", () => {
    const subscription = resourceWhere(dev, "aws_sns_topic_subscription", "protocol", "firehose");
    expect(subscription.topic_arn).toMatch(/aws_sns_topic\.messaging_events.*\.arn/);
    expect(subscription.endpoint).toMatch(
      /aws_kinesis_firehose_delivery_stream\.events-archive_stream.*\.arn/,
    );
    expect(subscription.subscription_role_arn).toMatch(/events-archive_subscription-role/);
    expect(subscription.filter_policy).toBeUndefined();
    expect(subscription.raw_message_delivery).toBe(false);
  });

  it("writes newline-delimited, encrypted objects under the configured prefix with the configured buffering", () => {
    const archive = configFor("prod").eventsArchive;
    const stream = resourceWhere(
      prod,
      "aws_kinesis_firehose_delivery_stream",
      "name",
      "sluice-prod-events-archive",
    );
    expect(stream.destination).toBe("extended_s3");
    expect(stream.server_side_encryption).toEqual({ enabled: true, key_type: "AWS_OWNED_CMK" });
    expect(stream.extended_s3_configuration).toEqual(
      expect.objectContaining({
        bucket_arn: expect.stringMatching(/events-archive_bucket/),
        prefix: archive.prefix,
        error_output_prefix: `${archive.errorPrefix}!{firehose:error-output-type}/`,
        buffering_size: archive.bufferingSizeMb,
        buffering_interval: archive.bufferingIntervalSeconds,
        compression_format: archive.compression,
        processing_configuration: {
          enabled: true,
          processors: [
            {
              type: "AppendDelimiterToRecord",
              parameters: [{ parameter_name: "Delimiter", parameter_value: "\\n" }],
            },
          ],
        },
      }),
    );
  });

  it("lets SNS only put records into this stream, and Firehose only write the archive's prefixes", () => {
    const sns = statementsOfRole(dev, "sluice-dev-events-archive-subscription");
    expect(sns).toEqual([
      expect.objectContaining({
        Action: ["firehose:DescribeDeliveryStream", "firehose:PutRecord", "firehose:PutRecordBatch"],
        Resource: expect.stringMatching(/aws_kinesis_firehose_delivery_stream\.events-archive_stream.*\.arn/),
      }),
    ]);
    const firehose = statementsOfRole(dev, "sluice-dev-events-archive-delivery");
    const archive = configFor("dev").eventsArchive;
    const objectResources = firehose
      .filter((statement) => [statement.Action].flat().includes("s3:PutObject"))
      .flatMap((statement) => [statement.Resource].flat());
    expect(objectResources).toEqual([
      expect.stringMatching(new RegExp(`events-archive_bucket.*\\.arn\\}/${archive.prefix}\\*$`)),
      expect.stringMatching(new RegExp(`events-archive_bucket.*\\.arn\\}/${archive.errorPrefix}\\*$`)),
    ]);
    const role = resourceWhere(dev, "aws_iam_role", "name", "sluice-dev-events-archive-delivery");
    expect(JSON.parse(role.assume_role_policy as string).Statement[0].Condition).toEqual({
      StringEquals: { "sts:ExternalId": configFor("dev").accountId },
    });
  });

  it("expires archived events after the configured days", () => {
    const archive = configFor("prod").eventsArchive;
    expect(archiveRules(prod)).toEqual([
      expect.objectContaining({
        filter: [{ prefix: archive.prefix }],
        expiration: [{ days: archive.retentionDays }],
      }),
      expect.objectContaining({
        filter: [{ prefix: archive.errorPrefix }],
        expiration: [{ days: archive.retentionDays }],
      }),
    ]);
  });

  it("outputs where the CLI finds the archive and the dead-letter queues", () => {
    const outputs = JSON.parse(dev.json).output as Record<string, { value: unknown }>;
    expect(outputs.events_archive_url?.value).toMatch(
      /^s3:\/\/\$\{aws_s3_bucket\.events-archive_bucket.*\}\/events\/$/,
    );
    expect(outputs.events_archive_prefix?.value).toBe("events/");
    expect(outputs.region?.value).toBe("eu-west-1");
    expect(Object.keys(outputs.dead_letter_queue_urls?.value as object).sort()).toEqual(
      ["alerts-dlq", ...FUNCTION_NAMES.map((name) => `${name}-dlq`)].sort(),
    );
    for (const output of Object.values(outputs)) expect(output).not.toHaveProperty("sensitive", true);
  });
});

describe("database and containers", () => {
  it("lets RDS manage the master password, encrypted, private", () => {
    expect(dev.json).toHaveResourceWithProperties(DbInstance, {
      engine: "postgres",
      manage_master_user_password: true,
      storage_encrypted: true,
      publicly_accessible: false,
    });
  });

  it("makes prod multi-AZ, protected and backed up, and dev small and disposable", () => {
    expect(prod.json).toHaveResourceWithProperties(DbInstance, {
      multi_az: true,
      deletion_protection: true,
      backup_retention_period: 14,
      skip_final_snapshot: false,
    });
    expect(dev.json).toHaveResourceWithProperties(DbInstance, {
      instance_class: "db.t4g.micro",
      multi_az: false,
      deletion_protection: false,
    });
  });

  it("scans images on push and runs the configured container on Fargate", () => {
    expect(dev.json).toHaveResourceWithProperties(EcrRepository, {
      image_scanning_configuration: { scan_on_push: true },
    });
    const task = resourcesOf(dev, "aws_ecs_task_definition")[0]!;
    expect(task.requires_compatibilities).toEqual(["FARGATE"]);
    const [container] = JSON.parse(task.container_definitions as string);
    expect(container.name).toBe(configFor("dev").ecs.containerName);
    expect(container.image).toMatch(/aws_ecr_repository\..*\.repository_url\}:latest$/);
    // As the launcher's: the task marks a failure its exit 75 gets retried for (no alert).
    expect(container.environment).toContainEqual({
      name: ENV.taskMaxAttempts,
      value: String(configFor("dev").ecs.maxAttempts),
    });
  });
});

describe("least privilege", () => {
  const roles = (synth: SynthesizedStack) =>
    resourcesOf(synth, "aws_iam_role_policy").map((policy) => ({
      name: policy.name as string,
      statements: JSON.parse(policy.policy as string).Statement as PolicyStatement[],
    }));

  it("names no wildcard action and no wildcard resource except for unscopable actions", () => {
    for (const { name, statements } of roles(prod))
      for (const statement of statements) {
        const actions = [statement.Action].flat();
        for (const action of actions) expect(`${name}: ${action}`).not.toMatch(/\*$/);
        if ([statement.Resource].flat().includes("*"))
          for (const action of actions) expect(UNSCOPABLE_ACTIONS).toContain(action);
      }
  });

  it("lets only the writers put into staging, and only the loaders (loader, task) read the database secret", () => {
    const putters = roles(dev)
      .filter(({ statements }) => actionsOn(statements, "storage_staging_bucket").includes("s3:PutObject"))
      .map(({ name }) => name)
      .sort();
    expect(putters).toEqual(["sluice-dev-legacy-wrapper-task-policy", "sluice-dev-transform-policy"].sort());
    const secretReaders = roles(dev)
      .filter(({ statements }) => actionsOn(statements, "master_user_secret").length > 0)
      .map(({ name }) => name)
      .sort();
    expect(secretReaders).toEqual(["sluice-dev-legacy-wrapper-task-policy", "sluice-dev-loader-policy"]);
  });

  it("scopes each function's logging to its own log group", () => {
    const statements = statementsOfRole(dev, "sluice-dev-listener");
    expect(actionsOn(statements, "aws_cloudwatch_log_group.listener_logs")).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
  });

  it("lets the launcher run only its task definition on its cluster and pass only the task's roles", () => {
    const statements = statementsOfRole(dev, "sluice-dev-launcher");
    const runTask = statements.find((statement) => statement.Action === "ecs:RunTask");
    expect(runTask?.Resource).toMatch(/aws_ecs_task_definition\..*\.arn_without_revision\}:\*$/);
    expect(runTask?.Condition).toEqual({
      ArnEquals: { "ecs:cluster": expect.stringMatching(/aws_ecs_cluster/) },
    });
    const listTasks = statements.find((statement) => statement.Action === "ecs:ListTasks");
    expect(listTasks?.Condition).toEqual({
      ArnEquals: { "ecs:cluster": expect.stringMatching(/aws_ecs_cluster/) },
    });
    // The launcher tags nothing (startedBy names the run), so it gets no ecs:TagResource.
    expect(statements.some((statement) => statement.Action === "ecs:TagResource")).toBe(false);
    const passRole = statements.find((statement) => statement.Action === "iam:PassRole");
    expect(passRole?.Condition).toEqual({
      StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" },
    });
  });
});

describe("stack", () => {
  it("asks AWS nothing at plan time: no data sources", () => {
    expect(JSON.parse(dev.json).data).toBeUndefined();
    expect(JSON.parse(prod.json).data).toBeUndefined();
  });

  it("keeps state locally by default and in the configured S3 bucket when asked", () => {
    expect(JSON.parse(dev.json).terraform.backend).toEqual({ local: { path: "terraform.dev.tfstate" } });
    const remote = synthStack("prod", {
      bundles,
      stateBackend: {
        type: "s3",
        bucket: "state",
        key: "sluice/prod/terraform.tfstate",
        region: "eu-west-1",
      },
    });
    expect(JSON.parse(remote.json).terraform.backend).toEqual({
      s3: {
        bucket: "state",
        key: "sluice/prod/terraform.tfstate",
        region: "eu-west-1",
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it("pins the provider to the configured account", () => {
    const provider = JSON.parse(dev.json).provider.aws[0];
    expect(provider.allowed_account_ids).toEqual([configFor("dev").accountId]);
  });

  it("points each function at its bundle copied into the synthesised stack's assets", () => {
    expect(String(functionNamed(dev, "listener").filename)).toMatch(/^assets\/.*\/listener\.zip$/);
  });
});
