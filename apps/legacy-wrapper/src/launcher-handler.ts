import { ECSClient } from "@aws-sdk/client-ecs";
import { EcsTaskLauncher, ecsTaskLauncherConfigFromEnv } from "@sluice/aws";
import { createLogger } from "@sluice/core";
import { createLauncherHandler } from "./launcher";

/** The launcher Lambda entry (`index.handler`): real ECS client and config from the environment. */
export const handler = createLauncherHandler({
  launcher: new EcsTaskLauncher(new ECSClient({}), ecsTaskLauncherConfigFromEnv()),
  logger: createLogger("launcher"),
});
