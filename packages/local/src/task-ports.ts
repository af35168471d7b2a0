import { ConfigError, type EventPublisher } from "@sluice/core";
import { EventOutbox } from "./events/event-outbox";
import { LocalObjectStore } from "./object-store/local-object-store";
import { LOCAL_ENV, localStateLayout } from "./state-layout";

/** The ports a process started by the local runtime (the legacy-wrapper task) uses. */
export interface LocalTaskPorts {
  /** The runtime's buckets. */
  store: LocalObjectStore;
  /** Publishes through the runtime's outbox; the runtime fans the events out on its bus. */
  publisher: EventPublisher;
}

/**
 * True when this process was started by the local runtime (its environment names the state
 * directory), so it should use {@link localTaskPorts} instead of AWS clients.
 */
export function isLocalTask(env: NodeJS.ProcessEnv = process.env): boolean {
  return (env[LOCAL_ENV.stateDir] ?? "") !== "";
}

/**
 * The object store and event publisher of the local runtime that started this process, from
 * `SLUICE_LOCAL_STATE_DIR`. The legacy wrapper's entrypoint calls this when {@link isLocalTask}.
 */
export function localTaskPorts(env: NodeJS.ProcessEnv = process.env): LocalTaskPorts {
  const stateDir = env[LOCAL_ENV.stateDir];
  if (!stateDir) throw new ConfigError(`environment variable ${LOCAL_ENV.stateDir} is not set`);
  const layout = localStateLayout(stateDir);
  return {
    store: new LocalObjectStore({ rootDir: layout.bucketsDir }),
    publisher: new EventOutbox(layout.outboxDir).publisher(),
  };
}
