import { KmsAlias } from "@cdktf/provider-aws/lib/kms-alias";
import { KmsKey } from "@cdktf/provider-aws/lib/kms-key";
import { Construct } from "constructs";
import { resourceName, type SluiceConfig } from "./config";
import { policyDocument } from "./iam";

/** Log group names the stack creates; the key lets CloudWatch Logs use it for these only. */
export function logGroupPatterns(config: SluiceConfig): string[] {
  const arn = `arn:aws:logs:${config.region}:${config.accountId}:log-group:`;
  return [`${arn}/aws/lambda/${resourceName(config, "*")}`, `${arn}/aws/ecs/${resourceName(config, "*")}`];
}

/**
 * The stack's customer-managed KMS key, for what AWS-managed keys cannot serve: CloudWatch Logs
 * groups, and the alerts topic that CloudWatch alarms publish to (alarms cannot use `alias/aws/sns`).
 * Buckets, queues, the events topic and RDS use AWS-managed encryption, which costs nothing per key.
 */
export class PipelineKey extends Construct {
  public readonly key: KmsKey;
  public readonly alias: KmsAlias;

  constructor(scope: Construct, id: string, config: SluiceConfig) {
    super(scope, id);
    this.key = new KmsKey(this, "key", {
      description: `Sluice ${config.environment}: log groups and the alerts topic`,
      enableKeyRotation: true,
      deletionWindowInDays: config.environment === "prod" ? 30 : 7,
      policy: policyDocument([
        {
          Sid: "AccountAdministersKey",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${config.accountId}:root` },
          Action: "kms:*",
          Resource: "*",
        },
        {
          Sid: "CloudWatchLogsEncryptsStackLogGroups",
          Effect: "Allow",
          Principal: { Service: `logs.${config.region}.amazonaws.com` },
          Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
          Resource: "*",
          Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroupPatterns(config) } },
        },
        {
          Sid: "CloudWatchAlarmsPublishToAlertsTopic",
          Effect: "Allow",
          Principal: { Service: "cloudwatch.amazonaws.com" },
          Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          Resource: "*",
        },
      ]),
    });
    this.alias = new KmsAlias(this, "alias", {
      name: `alias/${resourceName(config, "pipeline")}`,
      targetKeyId: this.key.keyId,
    });
  }
}
