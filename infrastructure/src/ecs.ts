import { CloudwatchLogGroup } from "@cdktf/provider-aws/lib/cloudwatch-log-group";
import { EcrLifecyclePolicy } from "@cdktf/provider-aws/lib/ecr-lifecycle-policy";
import { EcrRepository } from "@cdktf/provider-aws/lib/ecr-repository";
import { EcsCluster } from "@cdktf/provider-aws/lib/ecs-cluster";
import { EcsTaskDefinition } from "@cdktf/provider-aws/lib/ecs-task-definition";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import { allow, type PolicyStatement, ServiceRole } from "./iam";

/** Props of {@link LegacyWrapperTasks}. */
export interface LegacyWrapperTasksProps {
  config: SluiceConfig;
  /** What the container may do (read raw, write staging, publish events, read the database secret). */
  taskStatements: PolicyStatement[];
  /**
   * Environment of the container (names from core's `ENV`: buckets, topic, and the loader's
   * database variables, so the task loads what it stages); the launcher adds the event per run.
   */
  environment: Record<string, string>;
  logKeyArn: string;
}

/** The name of the cluster the legacy-wrapper tasks run in (its stopped tasks are watched by name: `Messaging`). */
export function clusterNameOf(config: SluiceConfig): string {
  return resourceName(config, "cluster");
}

/**
 * Where the legacy program runs: an ECR repository (scanned on push), an ECS cluster and a Fargate
 * task definition the launcher function starts with RunTask, one task per object.
 */
export class LegacyWrapperTasks extends Construct {
  public readonly repository: EcrRepository;
  public readonly cluster: EcsCluster;
  public readonly taskDefinition: EcsTaskDefinition;
  public readonly logGroup: CloudwatchLogGroup;
  /** Pulls the image and writes logs on the task's behalf. */
  public readonly executionRole: ServiceRole;
  /** What the container's code may do. */
  public readonly taskRole: ServiceRole;

  constructor(scope: Construct, id: string, props: LegacyWrapperTasksProps) {
    super(scope, id);
    const { config } = props;
    const { ecs } = config;
    const name = resourceName(config, "legacy-wrapper");

    this.repository = new EcrRepository(this, "repository", {
      name,
      imageTagMutability: "MUTABLE",
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: [{ encryptionType: "AES256" }],
      forceDelete: config.storage.forceDestroy,
    });
    new EcrLifecyclePolicy(this, "repository-lifecycle", {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: "Keep the last untagged images only",
            selection: {
              tagStatus: "untagged",
              countType: "imageCountMoreThan",
              countNumber: ecs.untaggedImagesKept,
            },
            action: { type: "expire" },
          },
        ],
      }),
    });
    this.cluster = new EcsCluster(this, "cluster", {
      name: clusterNameOf(config),
      setting: [{ name: "containerInsights", value: ecs.containerInsights ? "enabled" : "disabled" }],
    });
    this.logGroup = new CloudwatchLogGroup(this, "logs", {
      name: `/aws/ecs/${name}`,
      retentionInDays: config.logs.retentionDays,
      kmsKeyId: props.logKeyArn,
    });
    // Only tasks of this account may assume the roles (confused-deputy guard).
    const fromThisAccount = { StringEquals: { "aws:SourceAccount": config.accountId } };
    this.executionRole = new ServiceRole(this, "execution-role", {
      name: `${name}-execution`,
      service: "ecs-tasks.amazonaws.com",
      assumeCondition: fromThisAccount,
      statements: [
        // ECR issues registry tokens account-wide; this action has no resource to scope to.
        allow("ecr:GetAuthorizationToken", "*"),
        allow(
          ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"],
          this.repository.arn,
        ),
        allow(["logs:CreateLogStream", "logs:PutLogEvents"], `${this.logGroup.arn}:*`),
      ],
    });
    this.taskRole = new ServiceRole(this, "task-role", {
      name: `${name}-task`,
      service: "ecs-tasks.amazonaws.com",
      assumeCondition: fromThisAccount,
      statements: props.taskStatements,
    });
    this.taskDefinition = new EcsTaskDefinition(this, "task", {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: String(ecs.cpu),
      memory: String(ecs.memoryMb),
      runtimePlatform: { operatingSystemFamily: "LINUX", cpuArchitecture: ecs.cpuArchitecture },
      executionRoleArn: this.executionRole.role.arn,
      taskRoleArn: this.taskRole.role.arn,
      containerDefinitions: JSON.stringify([
        {
          name: ecs.containerName,
          image: `${this.repository.repositoryUrl}:${ecs.imageTag}`,
          essential: true,
          readonlyRootFilesystem: false,
          environment: Object.entries(props.environment).map(([key, value]) => ({ name: key, value })),
          logConfiguration: {
            logDriver: "awslogs",
            options: {
              "awslogs-group": this.logGroup.name,
              "awslogs-region": config.region,
              "awslogs-stream-prefix": ecs.containerName,
            },
          },
        },
      ]),
    });
  }
}
