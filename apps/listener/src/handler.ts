import { SNSClient } from "@aws-sdk/client-sns";
import { SnsEventPublisher } from "@sluice/aws/sns";
import { createLogger, ENV, lambdaRouteMaxBytesFrom, requireEnv } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { createListenerHandler } from "./listener-handler";

// Built once per Lambda instance and reused by every invocation.
const registry = loadRegistry();
const publisher = new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) });

/** The listener Lambda entry point (`index.handler` in the bundle). */
export const handler = createListenerHandler({
  registry,
  publisher,
  logger: createLogger("listener"),
  lambdaRouteMaxBytes: lambdaRouteMaxBytesFrom(),
});
