import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { LambdaEventSourceMapping } from "@cdktf/provider-aws/lib/lambda-event-source-mapping";
import { LambdaFunction } from "@cdktf/provider-aws/lib/lambda-function";
import type { SecurityGroup } from "@cdktf/provider-aws/lib/security-group";
import type { Subnet } from "@cdktf/provider-aws/lib/subnet";
import { AssetType, TerraformAsset } from "cdktf";
import { Construct } from "constructs";
import { readBundle } from "./bundles";
import { type FunctionName, resourceName, type SluiceConfig } from "./config";
import { allow, type PolicyStatement, ServiceRole } from "./iam";
import type { ConsumerQueue } from "./messaging";

/** Lambda runtime of every function: nodejs20.x can no longer be created; 22 is supported to 2027-04-30. */
export const LAMBDA_RUNTIME = "nodejs22.x";
/** Handler inside every bundle zip (`index.mjs` exporting `handler`). */
export const LAMBDA_HANDLER = "index.handler";

/** Props of {@link PhaseFunction}. */
export interface PhaseFunctionProps {
  name: FunctionName;
  config: SluiceConfig;
  /** The queue this function consumes through an event source mapping. */
  queue: ConsumerQueue;
  /** Environment variables (names from core's `ENV`). */
  environment: Record<string, string>;
  /** What the function may do beyond reading its queue and writing its own logs. */
  statements: PolicyStatement[];
  /** ARN of the pipeline KMS key that encrypts the log group. */
  logKeyArn: string;
  /** Runs the function inside the VPC (the loader, to reach Postgres). */
  vpc?: { subnets: Subnet[]; securityGroup: SecurityGroup };
}

/**
 * One phase function: its bundle, log group, least-privilege role, and the SQS event source
 * mapping that reports partial batch failures so only failed messages are retried.
 */
export class PhaseFunction extends Construct {
  public readonly function: LambdaFunction;
  public readonly role: ServiceRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly eventSourceMapping: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, props: PhaseFunctionProps) {
    super(scope, id);
    const { config, name, queue } = props;
    const settings = config.functions[name];
    const functionName = resourceName(config, name);
    const bundle = readBundle(name, config.bundles[name]);
    // Copies the zip into the synthesised stack folder, so cdktf.out is all a deploy needs.
    const asset = new TerraformAsset(this, "bundle", { path: bundle.zipPath, type: AssetType.FILE });

    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: config.logs.retentionDays,
      kmsKeyId: props.logKeyArn,
    });
    const statements: PolicyStatement[] = [
      allow(["logs:CreateLogStream", "logs:PutLogEvents"], `${this.logGroup.arn}:*`),
      allow(
        ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes"],
        queue.queue.arn,
      ),
      ...props.statements,
    ];
    if (props.vpc) statements.push(...vpcNetworkingStatements(config, props.vpc));
    this.role = new ServiceRole(this, "role", {
      name: functionName,
      service: "lambda.amazonaws.com",
      statements,
    });

    this.function = new LambdaFunction(this, "function", {
      functionName,
      role: this.role.role.arn,
      runtime: LAMBDA_RUNTIME,
      architectures: ["arm64"],
      handler: LAMBDA_HANDLER,
      filename: asset.path,
      sourceCodeHash: bundle.sha256Base64,
      memorySize: settings.memoryMb,
      timeout: settings.timeoutSeconds,
      reservedConcurrentExecutions: settings.reservedConcurrency,
      environment: { variables: props.environment },
      loggingConfig: { logFormat: "JSON", logGroup: this.logGroup.name },
      vpcConfig: props.vpc
        ? {
            subnetIds: props.vpc.subnets.map((subnet) => subnet.id),
            securityGroupIds: [props.vpc.securityGroup.id],
          }
        : undefined,
      // The role's policy must exist before the first invocation, or the first batch fails.
      dependsOn: [this.role.policy, this.logGroup],
    });

    this.eventSourceMapping = new LambdaEventSourceMapping(this, "queue-source", {
      functionName: this.function.arn,
      eventSourceArn: queue.queue.arn,
      batchSize: settings.batchSize,
      maximumBatchingWindowInSeconds: settings.maxBatchingWindowSeconds,
      functionResponseTypes: ["ReportBatchItemFailures"],
      // Polling no faster than the reserved concurrency avoids throttled, needlessly retried batches.
      scalingConfig: { maximumConcurrency: settings.reservedConcurrency },
    });
  }
}

/** The ENI permissions Lambda needs to run in a VPC, scoped to the stack's subnets and security group. */
function vpcNetworkingStatements(
  config: SluiceConfig,
  vpc: { subnets: Subnet[]; securityGroup: SecurityGroup },
): PolicyStatement[] {
  const ec2 = `arn:aws:ec2:${config.region}:${config.accountId}`;
  return [
    allow("ec2:CreateNetworkInterface", [
      `${ec2}:network-interface/*`,
      ...vpc.subnets.map((subnet) => `${ec2}:subnet/${subnet.id}`),
      `${ec2}:security-group/${vpc.securityGroup.id}`,
    ]),
    allow(
      ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
      `${ec2}:network-interface/*`,
    ),
    // Describe calls cannot be scoped to a resource.
    allow(["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"], "*"),
  ];
}
