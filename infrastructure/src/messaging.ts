import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import { SqsQueueRedriveAllowPolicy } from "@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy";
import { ALERT_FILTER, CONSUMER_FILTERS, type EventFilter } from "@sluice/core";
import { Construct } from "constructs";
import { type FunctionName, resourceName, type SluiceConfig, visibilityTimeoutOf } from "./config";
import { clusterNameOf } from "./ecs";
import { type PolicyStatement, policyDocument, serviceMaySend } from "./iam";
import { deliverRawObjects, type RawObjectDelivery } from "./raw-delivery";

/** Props of {@link ConsumerQueue}. */
export interface ConsumerQueueProps {
  name: string;
  visibilityTimeoutSeconds: number;
  config: SluiceConfig;
}

/**
 * A queue with its own dead-letter queue: after `maxReceiveCount` failed receives a message is
 * parked in the DLQ for inspection and redrive instead of being lost. Both use SSE-SQS, which
 * S3 and SNS can deliver to without a customer-managed key.
 */
export class ConsumerQueue extends Construct {
  public readonly queue: SqsQueue;
  public readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, props: ConsumerQueueProps) {
    super(scope, id);
    const { queues } = props.config;
    this.deadLetterQueue = new SqsQueue(this, "dlq", {
      name: `${props.name}-dlq`,
      messageRetentionSeconds: queues.deadLetterRetentionSeconds,
      sqsManagedSseEnabled: true,
    });
    this.queue = new SqsQueue(this, "queue", {
      name: props.name,
      visibilityTimeoutSeconds: props.visibilityTimeoutSeconds,
      messageRetentionSeconds: queues.messageRetentionSeconds,
      receiveWaitTimeSeconds: 20,
      sqsManagedSseEnabled: true,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: queues.maxReceiveCount,
      }),
    });
    // Only this queue may redrive into its DLQ, so DLQ depth always means "this consumer failed".
    // (a separate resource: on the DLQ itself it would make a cycle with the redrive policy).
    new SqsQueueRedriveAllowPolicy(this, "dlq-redrive-allow", {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: "byQueue", sourceQueueArns: [this.queue.arn] }),
    });
  }
}

/** Props of {@link Messaging}. */
export interface MessagingProps {
  config: SluiceConfig;
  /** The raw bucket, whose new objects feed the listener queue. */
  rawBucket: S3Bucket;
}

/**
 * The pipeline events topic and one queue per consumer: S3 → listener queue (directly or through
 * EventBridge, {@link deliverRawObjects}), and SNS → a queue per phase filtered on the message
 * attributes, plus the alerts queue for failed and quarantined objects; and EventBridge → the
 * launcher's queue for the legacy-wrapper tasks that stop (a task killed before it could report
 * would otherwise leave its run `received` for ever, with no alert).
 */
export class Messaging extends Construct {
  public readonly eventsTopic: SnsTopic;
  /** The queue each function consumes. */
  public readonly queues: Record<FunctionName, ConsumerQueue>;
  public readonly alertsQueue: ConsumerQueue;
  /** How new raw objects reach the listener's queue (S3 notification or EventBridge). */
  public readonly rawDelivery: RawObjectDelivery;
  /**
   * The legacy-wrapper cluster's stopped tasks, sent to the launcher's queue: the launcher publishes
   * `object.failed` for a task that stopped without reporting (`stoppedTaskFailure`, apps/legacy-wrapper).
   */
  public readonly stoppedTasks: CloudwatchEventRule;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const { config } = props;
    this.eventsTopic = new SnsTopic(this, "events", {
      name: resourceName(config, "events"),
      kmsMasterKeyId: "alias/aws/sns",
    });
    const consumerQueue = (fn: FunctionName) =>
      new ConsumerQueue(this, fn, {
        name: resourceName(config, fn),
        visibilityTimeoutSeconds: visibilityTimeoutOf(config, fn),
        config,
      });
    this.queues = {
      listener: consumerQueue("listener"),
      transform: consumerQueue("transform"),
      loader: consumerQueue("loader"),
      launcher: consumerQueue("launcher"),
    };
    // Nothing consumes the alerts queue automatically: its visibility only matters to a person reading it.
    this.alertsQueue = new ConsumerQueue(this, "alerts", {
      name: resourceName(config, "alerts"),
      visibilityTimeoutSeconds: 30,
      config,
    });

    this.rawDelivery = deliverRawObjects(this, {
      config,
      rawBucket: props.rawBucket,
      listenerQueue: this.queues.listener.queue,
    });
    this.stoppedTasks = new CloudwatchEventRule(this, "task-stopped", {
      name: resourceName(config, "task-stopped"),
      description: "Stopped legacy-wrapper tasks, for the launcher to report those that could not",
      eventPattern: JSON.stringify({
        source: ["aws.ecs"],
        "detail-type": ["ECS Task State Change"],
        detail: {
          clusterArn: [{ suffix: `:cluster/${clusterNameOf(config)}` }],
          lastStatus: ["STOPPED"],
        },
      }),
    });
    const launcherQueue = this.queues.launcher.queue;
    const fromRule = serviceMaySend(
      launcherQueue.arn,
      "events.amazonaws.com",
      this.stoppedTasks.arn,
      config.accountId,
    );
    const policies = new Map<string, SqsQueuePolicy>();
    for (const [fn, filter] of Object.entries(CONSUMER_FILTERS) as [FunctionName, EventFilter][])
      policies.set(
        fn,
        this.subscribe(fn, this.queues[fn].queue, filter, config, fn === "launcher" ? [fromRule] : []),
      );
    this.subscribe("alerts", this.alertsQueue.queue, ALERT_FILTER, config);
    new CloudwatchEventTarget(this, "task-stopped-launcher", {
      rule: this.stoppedTasks.name,
      targetId: "launcher-queue",
      arn: launcherQueue.arn,
      // Events matched before the queue lets the rule send would fail delivery; order them.
      dependsOn: [policies.get("launcher")!],
    });
  }

  /**
   * Subscribes `queue` to the events topic with `filter`; its policy lets the topic send, and
   * whoever `otherSenders` allow (a queue has one policy: every sender's statement is in it).
   */
  private subscribe(
    id: string,
    queue: SqsQueue,
    filter: EventFilter,
    config: SluiceConfig,
    otherSenders: PolicyStatement[] = [],
  ): SqsQueuePolicy {
    const policy = new SqsQueuePolicy(this, `${id}-from-events-topic-policy`, {
      queueUrl: queue.url,
      policy: policyDocument([
        serviceMaySend(queue.arn, "sns.amazonaws.com", this.eventsTopic.arn, config.accountId),
        ...otherSenders,
      ]),
    });
    new SnsTopicSubscription(this, `${id}-subscription`, {
      topicArn: this.eventsTopic.arn,
      protocol: "sqs",
      endpoint: queue.arn,
      filterPolicyScope: "MessageAttributes",
      filterPolicy: JSON.stringify(filter),
      // Consumers parse either form (core's unwrapSqsBody); raw keeps bodies small and attributes intact.
      rawMessageDelivery: true,
      dependsOn: [policy],
    });
    return policy;
  }
}
