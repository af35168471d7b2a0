import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { S3ObjectStore } from "@sluice/aws/s3";
import { SnsEventPublisher } from "@sluice/aws/sns";
import { createLogger, ENV, fanOutSettingsFor, requireEnv } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { createTransformHandler } from "./create-handler";

// Built once per Lambda instance and reused by every invocation.
const registry = loadRegistry();
const store = new S3ObjectStore(new S3Client({}));
const publisher = new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) });

/** The transform Lambda entry point (`index.handler` in the bundle). */
export const handler = createTransformHandler({
  registry,
  store,
  publisher,
  stagingBucket: requireEnv(ENV.stagingBucket),
  logger: createLogger("transform"),
  fanOutFor: (contract) => fanOutSettingsFor(contract, process.env),
});
