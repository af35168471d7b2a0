import { KinesisFirehoseDeliveryStream } from "@cdktf/provider-aws/lib/kinesis-firehose-delivery-stream";
import type { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic";
import { SnsTopicSubscription } from "@cdktf/provider-aws/lib/sns-topic-subscription";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import { allow, ServiceRole } from "./iam";
import { SecureBucket } from "./storage";

/** Props of {@link EventsArchive}. */
export interface EventsArchiveProps {
  config: SluiceConfig;
  /** The pipeline events topic; every message published on it is archived. */
  topic: SnsTopic;
}

/**
 * Keeps every pipeline event: the events topic → an SNS subscription with protocol `firehose`
 * (no filter policy) → a Firehose delivery stream → NDJSON objects under `eventsArchive.prefix`
 * in a dedicated bucket. This is the deployed twin of the local runtime's events journal, and
 * what `sluice status` reads.
 *
 * The subscription does NOT use raw message delivery: each line is the SNS notification JSON
 * (`Type`, `MessageId`, `Timestamp`, `Message`, `MessageAttributes`), so the archive keeps the
 * publication time and message id the journal keeps too. SNS sends records without a delimiter
 * and Firehose concatenates a buffer's records, so the `AppendDelimiterToRecord` processor ends
 * each with a newline.
 */
export class EventsArchive extends Construct {
  public readonly bucket: SecureBucket;
  public readonly deliveryStream: KinesisFirehoseDeliveryStream;
  public readonly subscription: SnsTopicSubscription;
  /** The role Firehose assumes to write the bucket. */
  public readonly deliveryRole: ServiceRole;
  /** The role SNS assumes to put records into the stream. */
  public readonly subscriptionRole: ServiceRole;

  constructor(scope: Construct, id: string, props: EventsArchiveProps) {
    super(scope, id);
    const { config } = props;
    const archive = config.eventsArchive;
    this.bucket = new SecureBucket(this, "bucket", {
      // Bucket names are global: the account id keeps two accounts from colliding.
      name: resourceName(config, `events-${config.accountId}`),
      versioned: false,
      forceDestroy: config.storage.forceDestroy,
      lifecycleRules: [
        {
          id: "abort-incomplete-uploads",
          status: "Enabled",
          filter: [{ prefix: "" }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: config.storage.abortIncompleteUploadDays }],
        },
        {
          id: "expire-archived-events",
          status: "Enabled",
          filter: [{ prefix: archive.prefix }],
          expiration: [{ days: archive.retentionDays }],
        },
        {
          id: "expire-undeliverable-events",
          status: "Enabled",
          filter: [{ prefix: archive.errorPrefix }],
          expiration: [{ days: archive.retentionDays }],
        },
      ],
    });
    const bucket = this.bucket.bucket;

    this.deliveryRole = new ServiceRole(this, "delivery-role", {
      name: resourceName(config, "events-archive-delivery"),
      service: "firehose.amazonaws.com",
      // Firehose passes the account id as external id: no other account's stream can use this role.
      assumeCondition: { StringEquals: { "sts:ExternalId": config.accountId } },
      statements: [
        allow(
          ["s3:PutObject", "s3:AbortMultipartUpload"],
          [`${bucket.arn}/${archive.prefix}*`, `${bucket.arn}/${archive.errorPrefix}*`],
        ),
        allow(["s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"], bucket.arn),
      ],
    });

    this.deliveryStream = new KinesisFirehoseDeliveryStream(this, "stream", {
      name: resourceName(config, "events-archive"),
      destination: "extended_s3",
      serverSideEncryption: { enabled: true, keyType: "AWS_OWNED_CMK" },
      extendedS3Configuration: {
        roleArn: this.deliveryRole.role.arn,
        bucketArn: bucket.arn,
        prefix: archive.prefix,
        errorOutputPrefix: `${archive.errorPrefix}!{firehose:error-output-type}/`,
        bufferingSize: archive.bufferingSizeMb,
        bufferingInterval: archive.bufferingIntervalSeconds,
        compressionFormat: archive.compression,
        processingConfiguration: {
          enabled: true,
          processors: [
            {
              type: "AppendDelimiterToRecord",
              // The two characters backslash and n: Firehose's notation for a newline delimiter.
              parameters: [{ parameterName: "Delimiter", parameterValue: "\\n" }],
            },
          ],
        },
      },
      // The role's policy must exist before Firehose checks it can write the bucket.
      dependsOn: [this.deliveryRole.policy],
    });

    this.subscriptionRole = new ServiceRole(this, "subscription-role", {
      name: resourceName(config, "events-archive-subscription"),
      service: "sns.amazonaws.com",
      statements: [
        allow(
          ["firehose:DescribeDeliveryStream", "firehose:PutRecord", "firehose:PutRecordBatch"],
          this.deliveryStream.arn,
        ),
      ],
    });

    this.subscription = new SnsTopicSubscription(this, "subscription", {
      topicArn: props.topic.arn,
      protocol: "firehose",
      endpoint: this.deliveryStream.arn,
      subscriptionRoleArn: this.subscriptionRole.role.arn,
      // The envelope keeps SNS's Timestamp and MessageId (what status orders and dedupes by).
      rawMessageDelivery: false,
      dependsOn: [this.subscriptionRole.policy],
    });
  }
}
