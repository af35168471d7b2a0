import { CloudwatchMetricAlarm } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { Construct } from "constructs";
import { type FunctionName, resourceName, type SluiceConfig } from "./config";
import type { PhaseFunction } from "./functions";

/** Props of {@link Alarms}. */
export interface AlarmsProps {
  config: SluiceConfig;
  /** Customer-managed key the alerts topic is encrypted with (CloudWatch cannot use `alias/aws/sns`). */
  keyArn: string;
  functions: Record<FunctionName, PhaseFunction>;
  /** Queues whose first visible message needs a human: every DLQ, and the alerts queue. */
  watchedQueues: Record<string, SqsQueue>;
}

/** The alerts topic and the alarms that publish to it. */
export class Alarms extends Construct {
  public readonly alertsTopic: SnsTopic;
  public readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    const { config } = props;
    const { periodSeconds, functionErrorThreshold } = config.alarms;
    this.alertsTopic = new SnsTopic(this, "alerts", {
      name: resourceName(config, "alerts"),
      kmsMasterKeyId: props.keyArn,
    });
    if (config.alarms.email)
      new SnsTopicSubscription(this, "alerts-email", {
        topicArn: this.alertsTopic.arn,
        protocol: "email",
        endpoint: config.alarms.email,
      });
    const alarm = (
      alarmId: string,
      description: string,
      metric: { namespace: string; metricName: string; dimensions: Record<string, string> },
      threshold: number,
    ) => {
      this.alarms.push(
        new CloudwatchMetricAlarm(this, alarmId, {
          alarmName: resourceName(config, alarmId),
          alarmDescription: description,
          ...metric,
          statistic: metric.namespace === "AWS/SQS" ? "Maximum" : "Sum",
          period: periodSeconds,
          evaluationPeriods: 1,
          threshold,
          comparisonOperator: "GreaterThanOrEqualToThreshold",
          treatMissingData: "notBreaching",
          alarmActions: [this.alertsTopic.arn],
          okActions: [this.alertsTopic.arn],
        }),
      );
    };
    for (const [queueId, queue] of Object.entries(props.watchedQueues))
      alarm(
        `${queueId}-depth`,
        `Messages waiting in ${queueId}: inspect, fix, then redrive or replay`,
        {
          namespace: "AWS/SQS",
          metricName: "ApproximateNumberOfMessagesVisible",
          dimensions: { QueueName: queue.name },
        },
        1,
      );
    for (const [name, phase] of Object.entries(props.functions)) {
      const dimensions = { FunctionName: phase.function.functionName };
      alarm(
        `${name}-errors`,
        `${name} invocations failed`,
        { namespace: "AWS/Lambda", metricName: "Errors", dimensions },
        functionErrorThreshold,
      );
      alarm(
        `${name}-throttles`,
        `${name} was throttled: raise its reserved concurrency or lower the queue's`,
        { namespace: "AWS/Lambda", metricName: "Throttles", dimensions },
        1,
      );
    }
  }
}
