import { ECSClient } from "@aws-sdk/client-ecs";
import { SNSClient } from "@aws-sdk/client-sns";
import { EcsTaskLauncher, ecsTaskLauncherConfigFromEnv, SnsEventPublisher } from "@sluice/aws";
import { createLogger, ENV, requireEnv } from "@sluice/core";
import { createLauncherHandler } from "./launcher";
import { taskMaxAttemptsFromEnv } from "./task-stopped";

const config = ecsTaskLauncherConfigFromEnv();

/** The launcher Lambda entry (`index.handler`): real ECS and SNS clients, config from the environment. */
export const handler = createLauncherHandler({
  launcher: new EcsTaskLauncher(new ECSClient({}), config),
  logger: createLogger("launcher"),
  stoppedTasks: {
    publisher: new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) }),
    containerName: config.containerName,
    maxAttempts: taskMaxAttemptsFromEnv(),
  },
});
