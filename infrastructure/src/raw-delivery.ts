import { CloudwatchEventRule } from "@cdktf/provider-aws/lib/cloudwatch-event-rule";
import { CloudwatchEventTarget } from "@cdktf/provider-aws/lib/cloudwatch-event-target";
import type { S3Bucket } from "@cdktf/provider-aws/lib/s3-bucket";
import { S3BucketNotification } from "@cdktf/provider-aws/lib/s3-bucket-notification";
import type { SqsQueue } from "@cdktf/provider-aws/lib/sqs-queue";
import { SqsQueuePolicy } from "@cdktf/provider-aws/lib/sqs-queue-policy";
import type { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import { policyDocument, serviceMaySend } from "./iam";

/** Where {@link deliverRawObjects} connects the raw bucket to. */
export interface RawObjectDeliveryProps {
  config: SluiceConfig;
  rawBucket: S3Bucket;
  /** The listener's queue: every new raw object must end up there. */
  listenerQueue: SqsQueue;
}

/** The resources {@link deliverRawObjects} made. */
export interface RawObjectDelivery {
  notification: S3BucketNotification;
  queuePolicy: SqsQueuePolicy;
  /** The EventBridge rule, with `eventbridge` delivery. */
  rule?: CloudwatchEventRule;
}

/**
 * Connects the raw bucket to the listener's queue, as `storage.rawDelivery` says:
 *
 * - `s3-notification`: an S3 event notification (`s3:ObjectCreated:*`) straight to the queue;
 *   the queue policy lets only this bucket (service `s3.amazonaws.com`) send.
 * - `eventbridge`: the bucket sends all its events to EventBridge (`eventbridge = true`), and a
 *   rule on the default bus matching the raw bucket's `Object Created` events targets the queue,
 *   whose body is then the EventBridge event (the listener reads both shapes). The queue policy
 *   lets only this rule (service `events.amazonaws.com`) send. EventBridge lets other consumers
 *   (archives, replays, other rules) see the same events without touching the bucket's
 *   notification configuration. EventBridge retries a failed delivery to SQS for 24 hours.
 *
 * Both allow only senders from this account. The resources are made in `scope` under the ids the
 * notification always had, so an existing `s3-notification` stack plans no change.
 */
export function deliverRawObjects(scope: Construct, props: RawObjectDeliveryProps): RawObjectDelivery {
  const { config, rawBucket, listenerQueue } = props;
  const allow = (id: string, service: string, sourceArn: string) =>
    new SqsQueuePolicy(scope, id, {
      queueUrl: listenerQueue.url,
      policy: policyDocument([serviceMaySend(listenerQueue.arn, service, sourceArn, config.accountId)]),
    });

  if (config.storage.rawDelivery === "s3-notification") {
    const queuePolicy = allow("listener-from-raw-bucket-policy", "s3.amazonaws.com", rawBucket.arn);
    const notification = new S3BucketNotification(scope, "raw-notifications", {
      bucket: rawBucket.id,
      queue: [{ queueArn: listenerQueue.arn, events: ["s3:ObjectCreated:*"] }],
      // S3 sends a test message on creation and fails if the queue policy does not allow it yet.
      dependsOn: [queuePolicy],
    });
    return { notification, queuePolicy };
  }

  const notification = new S3BucketNotification(scope, "raw-notifications", {
    bucket: rawBucket.id,
    eventbridge: true,
  });
  const rule = new CloudwatchEventRule(scope, "raw-object-created", {
    name: resourceName(config, "raw-object-created"),
    description: "New objects in the raw bucket, for the listener's queue",
    eventPattern: JSON.stringify({
      source: ["aws.s3"],
      "detail-type": ["Object Created"],
      detail: { bucket: { name: [rawBucket.bucket] } },
    }),
  });
  const queuePolicy = allow("listener-from-raw-object-created-policy", "events.amazonaws.com", rule.arn);
  new CloudwatchEventTarget(scope, "raw-object-created-listener", {
    rule: rule.name,
    targetId: "listener-queue",
    arn: listenerQueue.arn,
    // Events matched before the policy exists would fail delivery; order them.
    dependsOn: [queuePolicy],
  });
  return { notification, queuePolicy, rule };
}
