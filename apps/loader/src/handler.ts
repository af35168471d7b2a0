import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { S3ObjectStore } from "@sluice/aws/s3";
import { SnsEventPublisher } from "@sluice/aws/sns";
import { createLogger, ENV, requireEnv } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { loadTargetFromEnv } from "./database";
import { createLoaderHandler, maxReceiveCountFromEnv } from "./loader-handler";

const logger = createLogger("loader");

// Built once per Lambda instance and reused by every invocation. One connection per instance:
// records are loaded one after another, and Lambda concurrency bounds the connections. A
// connection that breaks (RDS restart or failover) fails its record for SQS to redeliver and is
// discarded; the pool opens a new one for the next record.
const target = loadTargetFromEnv(
  process.env,
  () => new SecretsManagerClient({}),
  (error) => logger.warn("idle database connection closed", { error: error.message }),
);

/** The loader Lambda entry point (`index.handler` in the bundle). */
export const handler = createLoaderHandler({
  store: new S3ObjectStore(new S3Client({})),
  target,
  registry: loadRegistry(),
  publisher: new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) }),
  logger,
  maxReceiveCount: maxReceiveCountFromEnv(process.env),
});
