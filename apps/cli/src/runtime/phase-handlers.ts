import {
  ConfigError,
  createLogger,
  ENV,
  type EventPublisher,
  fanOutSettingsFor,
  type LoadTarget,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { createLauncherHandler } from "@sluice/legacy-wrapper";
import { createListenerHandler } from "@sluice/listener";
import { createLoaderHandler, maxReceiveCountFromEnv } from "@sluice/loader";
import type { LocalObjectStore, LocalTaskRunner, SqsFunctionHandler } from "@sluice/local";
import { createTransformHandler } from "@sluice/transform";
import type { FunctionName } from "./settings";
import type { TransformWorkers } from "./transform-workers";

/** Each phase's own handler factory, built from its function environment as on Lambda. */
export function phaseHandlers(ports: {
  store: LocalObjectStore;
  target: LoadTarget;
  publisher: EventPublisher;
  tasks: LocalTaskRunner;
  logLevel: string;
  transformWorkers: TransformWorkers;
}): Record<FunctionName, (env: Readonly<Record<string, string>>) => SqsFunctionHandler> {
  const { store, target, publisher, tasks, logLevel, transformWorkers } = ports;
  // The runtime's stdout is the command's result: the phases log on stderr.
  const logger = (name: FunctionName) => createLogger(name, { level: logLevel, stderr: true });
  return {
    listener: (env) =>
      createListenerHandler({
        registry: loadRegistry(env[ENV.contractsDir]),
        publisher,
        logger: logger("listener"),
      }),
    transform: (env) =>
      createTransformHandler({
        store,
        stagingBucket: requireSetting(env, ENV.stagingBucket),
        publisher,
        registry: loadRegistry(env[ENV.contractsDir]),
        logger: logger("transform"),
        fanOutFor: (contract) => fanOutSettingsFor(contract, env),
        stagePart: transformWorkers.stage,
        stageOnePass: transformWorkers.stageOnePass,
      }),
    launcher: () => createLauncherHandler({ launcher: tasks, logger: logger("launcher") }),
    loader: (env) =>
      createLoaderHandler({
        store,
        target,
        registry: loadRegistry(env[ENV.contractsDir]),
        publisher,
        logger: logger("loader"),
        maxReceiveCount: maxReceiveCountFromEnv(env),
      }),
  };
}

function requireSetting(env: Readonly<Record<string, string>>, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigError(`function environment variable ${name} is not set`, { name });
  return value;
}
