import { existsSync } from "node:fs";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SNSClient } from "@aws-sdk/client-sns";
import { S3ObjectStore } from "@sluice/aws/s3";
import { SnsEventPublisher } from "@sluice/aws/sns";
import { createLogger, ENV, requireEnv } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { createTransformHandler } from "./create-handler";

/**
 * The contracts folder: `SLUICE_CONTRACTS_DIR` when set, else the `contracts/` the bundler
 * copies beside `index.mjs` in the Lambda zip, else the `@sluice/datasets` package's own.
 */
function contractsDir(): string | undefined {
  const configured = process.env[ENV.contractsDir];
  if (configured) return configured;
  const bundled = join(__dirname, "contracts");
  return existsSync(bundled) ? bundled : undefined;
}

// Built once per Lambda instance and reused by every invocation.
const registry = loadRegistry(contractsDir());
const store = new S3ObjectStore(new S3Client({}));
const publisher = new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) });

/** The transform Lambda entry point (`index.handler` in the bundle). */
export const handler = createTransformHandler({
  registry,
  store,
  publisher,
  stagingBucket: requireEnv(ENV.stagingBucket),
  logger: createLogger("transform"),
});
