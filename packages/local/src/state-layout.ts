import { join } from "node:path";

/**
 * Environment variables the local runtime adds to what AWS would give a process. Only
 * processes the local runtime starts see them (the legacy-wrapper task, for one).
 */
export const LOCAL_ENV = {
  /** The runtime's state directory; a task process opens its local ports from it. */
  stateDir: "SLUICE_LOCAL_STATE_DIR",
  /** `1`: the task fsyncs what it writes to the state directory, as the runtime does (`--fsync`). */
  fsync: "SLUICE_FSYNC",
  /**
   * A directory where the task records the process groups it starts (one empty file named by
   * the group id), so the runtime ends them with the task, as a container's processes end with it.
   */
  taskGroupsDir: "SLUICE_LOCAL_TASK_GROUPS_DIR",
} as const;

/** Where each part of the local runtime keeps its state under one state directory. */
export interface LocalStateLayout {
  /** The state directory itself. */
  root: string;
  /** One directory per bucket ({@link LocalObjectStore}). */
  bucketsDir: string;
  /** One directory per queue, one JSON file per message ({@link LocalQueue}). */
  queuesDir: string;
  /** Events published by other processes, waiting to be fanned out by the runtime ({@link EventOutbox}). */
  outboxDir: string;
  /** Append-only NDJSON of every published event ({@link EventJournal}). */
  journalFile: string;
  /** One JSON file per container task started and not yet finished ({@link LocalTaskRunner}). */
  tasksDir: string;
  /** The embedded Postgres (PGlite) data directory. */
  pgliteDir: string;
  /** What each `sluice run <folder>` set out to ingest and how far it got, until it is done. */
  ingestsDir: string;
}

/** The layout of the state directory `root`. */
export function localStateLayout(root: string): LocalStateLayout {
  return {
    root,
    bucketsDir: join(root, "buckets"),
    queuesDir: join(root, "queues"),
    outboxDir: join(root, "outbox"),
    journalFile: join(root, "events", "journal.ndjson"),
    tasksDir: join(root, "tasks"),
    pgliteDir: join(root, "pglite"),
    ingestsDir: join(root, "ingests"),
  };
}
