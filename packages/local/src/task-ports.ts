import { ConfigError, type EventPublisher } from "@sluice/core";
import { EventOutbox } from "./events/event-outbox";
import { LocalObjectStore } from "./object-store/local-object-store";
import { LOCAL_ENV, localStateLayout } from "./state-layout";
import { adoptProcessGroup } from "./tasks/task-groups";

/** The ports a process started by the local runtime (the legacy-wrapper task) uses. */
export interface LocalTaskPorts {
  /** The runtime's buckets. */
  store: LocalObjectStore;
  /** Publishes through the runtime's outbox; the runtime fans the events out on its bus. */
  publisher: EventPublisher;
  /**
   * Records a process group the task started (the legacy program's), so the runtime kills it
   * with the task, even when the task itself is killed first; returns the release to call once
   * the group ended. Absent when the runtime gave no groups directory.
   */
  trackProcessGroup?: (pgid: number) => () => void;
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
  const fsync = env[LOCAL_ENV.fsync] === "1";
  const groupsDir = env[LOCAL_ENV.taskGroupsDir];
  return {
    store: new LocalObjectStore({ rootDir: layout.bucketsDir, fsync }),
    publisher: new EventOutbox(layout.outboxDir, { fsync }).publisher(),
    ...(groupsDir ? { trackProcessGroup: (pgid: number) => adoptProcessGroup(groupsDir, pgid) } : {}),
  };
}
