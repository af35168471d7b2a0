import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ENV } from "@sluice/core";
import { ENVIRONMENTS, synthesize } from "../src/app";
import { configFor, type Environment } from "../src/config";
import { type PolicyStatement, UNSCOPABLE_ACTIONS } from "../src/iam";
import { writePlaceholderBundles } from "./support/bundles";
import {
  type Expression,
  findProviderMirror,
  planStack,
  type ResourceChange,
  type TerraformPlan,
  terraformVersion,
} from "./support/terraform";

// Synthesises both stacks, then init, validate and plan each with Terraform and asserts on
// `terraform show -json`: what Terraform would really create, not only what cdktf wrote.
jest.setTimeout(10 * 60 * 1000);

const version = terraformVersion();
const inCi = process.env.CI === "true";
if (!version && !inCi) console.warn("terraform is not on PATH: skipping the plan tests (they run in CI)");
const describePlans = version || inCi ? describe : describe.skip;

interface PlannedStack {
  plan: TerraformPlan;
  /** The synthesised Terraform JSON that was planned. */
  synthesized: { resource: Record<string, Record<string, Record<string, unknown>>> };
}

describePlans("terraform plan of the synthesised stacks", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "sluice-plan-"));
  const planned = {} as Record<Environment, PlannedStack>;
  const timings: string[] = [];

  beforeAll(() => {
    if (!version) throw new Error("CI=true but terraform is not on PATH");
    const mirror = findProviderMirror();
    const bundles = writePlaceholderBundles(path.join(workDir, "bundles"));
    const outdir = path.join(workDir, "cdktf.out");
    let started = performance.now();
    synthesize({ outdir, overrides: { dev: { bundles }, prod: { bundles } } });
    timings.push(`synth both ${Math.round(performance.now() - started)} ms`);
    for (const environment of ENVIRONMENTS) {
      const stackDir = path.join(outdir, "stacks", environment);
      started = performance.now();
      const plan = planStack(stackDir, configFor(environment).region, mirror);
      timings.push(`${environment}: init+validate+plan+show ${Math.round(performance.now() - started)} ms`);
      planned[environment] = {
        plan,
        synthesized: JSON.parse(readFileSync(path.join(stackDir, "cdk.tf.json"), "utf8")),
      };
    }
    const counts = ENVIRONMENTS.map((env) => `${env} ${planned[env].plan.resource_changes.length} resources`);
    console.log(
      `${version}; provider mirror: ${mirror ?? "none (registry)"}; ${timings.join("; ")}; ${counts.join(", ")}`,
    );
  });

  afterAll(() => rmSync(workDir, { recursive: true, force: true }));

  const changesOf = (env: Environment, type: string): ResourceChange[] =>
    planned[env].plan.resource_changes.filter((change) => change.type === type);
  const valuesOf = (change: ResourceChange) => change.change.after;
  /** Set in the plan, either to a known value or to one known only after apply. */
  const isSet = (change: ResourceChange, attribute: string) =>
    (valuesOf(change)[attribute] !== undefined && valuesOf(change)[attribute] !== null) ||
    change.change.after_unknown[attribute] === true;
  const referencesOf = (env: Environment, address: string, attribute: string): string[] => {
    const resource = planned[env].plan.configuration.root_module.resources.find((r) => r.address === address);
    const expression = resource?.expressions[attribute] as Expression | undefined;
    return expression?.references ?? [];
  };
  /** Addresses of resources of `type` whose `attribute` refers to `target`. */
  const referrers = (env: Environment, type: string, attribute: string, target: string): string[] =>
    changesOf(env, type)
      .filter((change) => referencesOf(env, change.address, attribute).includes(target))
      .map((change) => change.address);
  const byAddress = (env: Environment, address: string) =>
    planned[env].plan.resource_changes.find((change) => change.address === address)!;

  describe.each(ENVIRONMENTS)("%s", (env) => {
    it("plans only creations, with no data source read", () => {
      const { resource_changes } = planned[env].plan;
      expect(resource_changes.length).toBeGreaterThan(50);
      for (const change of resource_changes)
        expect(`${change.address}: ${change.change.actions}`).toMatch(/: create$/);
      expect(resource_changes.filter((change) => change.address.startsWith("data."))).toEqual([]);
    });

    it("gives every queue a dead-letter queue, and alarms on every dead-letter queue", () => {
      const queues = changesOf(env, "aws_sqs_queue");
      const deadLetterQueues = queues.filter((queue) => String(valuesOf(queue).name).endsWith("-dlq"));
      const sources = queues.filter((queue) => !deadLetterQueues.includes(queue));
      expect(sources.length).toBe(5);
      for (const queue of sources) {
        expect(isSet(queue, "redrive_policy")).toBe(true);
        const target = referencesOf(env, queue.address, "redrive_policy").find(
          (ref) => !ref.endsWith(".arn"),
        );
        expect(deadLetterQueues.map((dlq) => dlq.address)).toContain(target);
      }
      const alarmedQueues = changesOf(env, "aws_cloudwatch_metric_alarm").map(
        (alarm) => (valuesOf(alarm).dimensions as Record<string, string> | undefined)?.QueueName,
      );
      for (const dlq of deadLetterQueues) expect(alarmedQueues).toContain(valuesOf(dlq).name);
    });

    it("keeps every consumed queue's visibility at least 6x its consumer's timeout", () => {
      const mappings = changesOf(env, "aws_lambda_event_source_mapping");
      expect(mappings).toHaveLength(4);
      for (const mapping of mappings) {
        expect(valuesOf(mapping).function_response_types).toEqual(["ReportBatchItemFailures"]);
        const queueRef = referencesOf(env, mapping.address, "event_source_arn").find(
          (ref) => !ref.endsWith(".arn"),
        )!;
        const functionRef = referencesOf(env, mapping.address, "function_name").find(
          (ref) => !ref.endsWith(".arn"),
        )!;
        const timeout = valuesOf(byAddress(env, functionRef)).timeout as number;
        const visibility = valuesOf(byAddress(env, queueRef)).visibility_timeout_seconds as number;
        expect(visibility).toBeGreaterThanOrEqual(6 * timeout);
      }
    });

    it("runs every function on nodejs22.x arm64 with a log group that has a retention", () => {
      const functions = changesOf(env, "aws_lambda_function");
      expect(functions).toHaveLength(4);
      for (const fn of functions) {
        expect(valuesOf(fn).runtime).toBe("nodejs22.x");
        expect(valuesOf(fn).architectures).toEqual(["arm64"]);
        expect(valuesOf(fn).source_code_hash).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      }
      for (const group of changesOf(env, "aws_cloudwatch_log_group"))
        expect(valuesOf(group).retention_in_days).toBe(configFor(env).logs.retentionDays);
    });

    it("archives every event: an unfiltered firehose subscription into an encrypted stream writing NDJSON to S3", () => {
      const [stream, ...moreStreams] = changesOf(env, "aws_kinesis_firehose_delivery_stream");
      expect(moreStreams).toEqual([]);
      expect(valuesOf(stream!).destination).toBe("extended_s3");
      expect(valuesOf(stream!).server_side_encryption).toEqual([
        expect.objectContaining({ enabled: true, key_type: "AWS_OWNED_CMK" }),
      ]);
      const [s3] = valuesOf(stream!).extended_s3_configuration as Record<string, unknown>[];
      expect(s3).toEqual(
        expect.objectContaining({
          prefix: configFor(env).eventsArchive.prefix,
          buffering_interval: configFor(env).eventsArchive.bufferingIntervalSeconds,
          processing_configuration: [
            expect.objectContaining({
              enabled: true,
              processors: [
                expect.objectContaining({
                  type: "AppendDelimiterToRecord",
                  parameters: [{ parameter_name: "Delimiter", parameter_value: "\\n" }],
                }),
              ],
            }),
          ],
        }),
      );
      const streamConfig = planned[env].plan.configuration.root_module.resources.find(
        (r) => r.address === stream!.address,
      )!;
      const [s3Expressions] = streamConfig.expressions.extended_s3_configuration as Record<
        string,
        Expression
      >[];
      const bucket = s3Expressions!.bucket_arn!.references!.find((ref) => !ref.endsWith(".arn"));
      expect(changesOf(env, "aws_s3_bucket").map((b) => b.address)).toContain(bucket);
      const subscriptions = changesOf(env, "aws_sns_topic_subscription").filter(
        (subscription) => valuesOf(subscription).protocol === "firehose",
      );
      expect(subscriptions).toHaveLength(1);
      const subscription = subscriptions[0]!;
      expect(referencesOf(env, subscription.address, "endpoint")).toContain(stream!.address);
      expect(isSet(subscription, "subscription_role_arn")).toBe(true);
      expect(valuesOf(subscription).filter_policy ?? null).toBeNull();
      expect(valuesOf(subscription).raw_message_delivery).toBe(false);
    });

    it("encrypts everything at rest", () => {
      for (const bucket of changesOf(env, "aws_s3_bucket")) {
        const [encryption] = referrers(
          env,
          "aws_s3_bucket_server_side_encryption_configuration",
          "bucket",
          bucket.address,
        );
        expect(encryption).toBeDefined();
        expect(valuesOf(byAddress(env, encryption!)).rule).toEqual([
          expect.objectContaining({
            apply_server_side_encryption_by_default: [expect.objectContaining({ sse_algorithm: "AES256" })],
          }),
        ]);
      }
      for (const queue of changesOf(env, "aws_sqs_queue"))
        expect(valuesOf(queue).sqs_managed_sse_enabled).toBe(true);
      for (const topic of changesOf(env, "aws_sns_topic"))
        expect(isSet(topic, "kms_master_key_id")).toBe(true);
      for (const group of changesOf(env, "aws_cloudwatch_log_group"))
        expect(isSet(group, "kms_key_id")).toBe(true);
      for (const db of changesOf(env, "aws_db_instance")) expect(valuesOf(db).storage_encrypted).toBe(true);
      for (const repository of changesOf(env, "aws_ecr_repository"))
        expect(valuesOf(repository).encryption_configuration).toEqual([
          expect.objectContaining({ encryption_type: "AES256" }),
        ]);
      for (const key of changesOf(env, "aws_kms_key")) expect(valuesOf(key).enable_key_rotation).toBe(true);
    });

    it("exposes nothing publicly", () => {
      for (const bucket of changesOf(env, "aws_s3_bucket")) {
        const [block] = referrers(env, "aws_s3_bucket_public_access_block", "bucket", bucket.address);
        expect(valuesOf(byAddress(env, block!))).toEqual(
          expect.objectContaining({
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
          }),
        );
        expect(referrers(env, "aws_s3_bucket_policy", "bucket", bucket.address)).toHaveLength(1);
      }
      for (const type of [
        "aws_s3_bucket_acl",
        "aws_internet_gateway",
        "aws_nat_gateway",
        "aws_lambda_function_url",
        "aws_eip",
      ])
        expect(changesOf(env, type)).toEqual([]);
      for (const db of changesOf(env, "aws_db_instance"))
        expect(valuesOf(db).publicly_accessible).toBe(false);
      for (const subnet of changesOf(env, "aws_subnet"))
        expect(valuesOf(subnet).map_public_ip_on_launch).toBe(false);
      for (const rule of changesOf(env, "aws_vpc_security_group_ingress_rule"))
        expect(valuesOf(rule).cidr_ipv4 ?? "").not.toBe("0.0.0.0/0");
    });

    it("denies non-TLS access to every bucket", () => {
      const policies = Object.values(planned[env].synthesized.resource.aws_s3_bucket_policy ?? {});
      expect(policies).toHaveLength(changesOf(env, "aws_s3_bucket").length);
      for (const policy of policies)
        expect(JSON.parse(policy.policy as string).Statement).toContainEqual(
          expect.objectContaining({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        );
    });

    it("grants no wildcard action, and a wildcard resource only to actions AWS cannot scope", () => {
      // Policy documents name resource ARNs that exist only after apply, so the plan holds them as
      // unknown: the documents checked here are the ones that were just planned.
      const rolePolicies = changesOf(env, "aws_iam_role_policy");
      expect(rolePolicies.length).toBe(changesOf(env, "aws_iam_role").length);
      expect(changesOf(env, "aws_iam_role_policy_attachment")).toEqual([]);
      expect(changesOf(env, "aws_iam_policy")).toEqual([]);
      for (const policy of Object.values(planned[env].synthesized.resource.aws_iam_role_policy ?? {}))
        for (const statement of JSON.parse(policy.policy as string).Statement as PolicyStatement[]) {
          expect(statement.Effect).toBe("Allow");
          const actions = [statement.Action].flat();
          for (const action of actions) expect(action).not.toMatch(/\*/);
          if ([statement.Resource].flat().includes("*"))
            for (const action of actions) expect(UNSCOPABLE_ACTIONS).toContain(action);
        }
      for (const role of changesOf(env, "aws_iam_role")) {
        const trust = JSON.parse(valuesOf(role).assume_role_policy as string).Statement as PolicyStatement[];
        expect(trust).toHaveLength(1);
        expect(Object.keys(trust[0]!.Principal as object)).toEqual(["Service"]);
      }
    });
  });

  it.each(ENVIRONMENTS)(
    "%s: lets the loader and the legacy-wrapper tasks, only, reach Postgres, and gives the task its database",
    (env) => {
      const group = (suffix: string) =>
        changesOf(env, "aws_security_group").find((g) => valuesOf(g).name === `sluice-${env}-${suffix}`)!
          .address;
      const port = configFor(env).database.port;
      const admitted = changesOf(env, "aws_vpc_security_group_ingress_rule")
        .filter((rule) => referencesOf(env, rule.address, "security_group_id").includes(group("database")))
        .map((rule) => ({
          port: valuesOf(rule).from_port,
          from: referencesOf(env, rule.address, "referenced_security_group_id").find(
            (r) => !r.endsWith(".id"),
          ),
        }));
      expect(admitted).toEqual(
        expect.arrayContaining([
          { port, from: group("loader") },
          { port, from: group("tasks") },
        ]),
      );
      expect(admitted).toHaveLength(2);
      // Container definitions and policies name ARNs made at apply: read from the planned JSON.
      const { resource } = planned[env].synthesized;
      const [container] = JSON.parse(
        Object.values(resource.aws_ecs_task_definition!)[0]!.container_definitions as string,
      ) as { environment: { name: string; value: string }[] }[];
      const names = container!.environment.map((variable) => variable.name);
      expect(names).toEqual(
        expect.arrayContaining([ENV.databaseSecretArn, ENV.databaseHost, ENV.databasePort, ENV.databaseName]),
      );
      const taskPolicy = Object.values(resource.aws_iam_role_policy!).find(
        (policy) => policy.name === `sluice-${env}-legacy-wrapper-task-policy`,
      )!;
      expect(JSON.parse(taskPolicy.policy as string).Statement).toContainEqual(
        expect.objectContaining({ Action: "secretsmanager:GetSecretValue" }),
      );
    },
  );

  it("plans prod's fan-out: a 10 GB file in >= 50 parts over >= 50 transforms at once, the listener's cap, the loader fed splits", () => {
    const fn = (name: string) =>
      changesOf("prod", "aws_lambda_function").find(
        (change) => valuesOf(change).function_name === `sluice-prod-${name}`,
      )!;
    // The plan holds each function's variables as one unknown map (some name ARNs made at apply),
    // so they are read from the Terraform JSON that was planned.
    const variables = (name: string) =>
      (
        Object.values(planned.prod.synthesized.resource.aws_lambda_function!).find(
          (resource) => resource.function_name === `sluice-prod-${name}`,
        )!.environment as { variables: Record<string, string> }
      ).variables;
    const transform = valuesOf(fn("transform"));
    const concurrency = transform.reserved_concurrent_executions as number;
    const partBytes = Number(variables("transform")[ENV.partBytes]);
    expect(concurrency).toBeGreaterThanOrEqual(50);
    expect(Math.ceil(10e9 / partBytes)).toBeGreaterThanOrEqual(50);
    expect(Number(variables("transform")[ENV.fanOutMinBytes])).toBe(configFor("prod").fanOut.minBytes);
    const mapping = changesOf("prod", "aws_lambda_event_source_mapping").find((change) =>
      referencesOf("prod", change.address, "function_name").includes(fn("transform").address),
    )!;
    expect(valuesOf(mapping)).toEqual(
      expect.objectContaining({ batch_size: 1, scaling_config: [{ maximum_concurrency: concurrency }] }),
    );
    const { assumedLoadBytesPerSecond, timeoutShare } = configFor("prod").lambdaRoute;
    const loaderTimeout = valuesOf(fn("loader")).timeout as number;
    expect(Number(variables("listener")[ENV.lambdaRouteMaxBytes])).toBe(
      Math.floor(loaderTimeout * assumedLoadBytesPerSecond * timeoutShare),
    );
    const filters = changesOf("prod", "aws_sns_topic_subscription")
      .map((subscription) => valuesOf(subscription).filter_policy)
      .filter((policy): policy is string => typeof policy === "string")
      .map((policy) => JSON.parse(policy) as { type: string[]; route?: string[] });
    expect(filters).toContainEqual({
      type: ["sluice.object.staged", "sluice.object.split"],
      route: ["lambda"],
    });
    expect(filters).toContainEqual({
      type: ["sluice.object.received", "sluice.part.requested"],
      route: ["lambda"],
    });
  });

  it("makes prod differ from dev where it should", () => {
    const db = (env: Environment) => valuesOf(changesOf(env, "aws_db_instance")[0]!);
    expect(db("prod")).toEqual(
      expect.objectContaining({ multi_az: true, deletion_protection: true, skip_final_snapshot: false }),
    );
    expect(db("dev")).toEqual(expect.objectContaining({ multi_az: false, deletion_protection: false }));
    expect(db("prod").backup_retention_period as number).toBeGreaterThan(
      db("dev").backup_retention_period as number,
    );
    const fn = (env: Environment, name: string) =>
      valuesOf(
        changesOf(env, "aws_lambda_function").find(
          (change) => valuesOf(change).function_name === `sluice-${env}-${name}`,
        )!,
      );
    expect(fn("prod", "transform").memory_size as number).toBeGreaterThan(
      fn("dev", "transform").memory_size as number,
    );
    expect(fn("prod", "transform").reserved_concurrent_executions as number).toBeGreaterThan(
      fn("dev", "transform").reserved_concurrent_executions as number,
    );
    expect(changesOf("prod", "aws_subnet").length).toBeGreaterThan(changesOf("dev", "aws_subnet").length);
  });
});
