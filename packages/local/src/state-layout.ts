import { join } from "node:path";

/**
 * Environment variables the local runtime adds to what AWS would give a process. Only
 * processes the local runtime starts see them (the legacy-wrapper task, for one).
 */
export const LOCAL_ENV = {
  /** The runtime's state directory; a task process opens its local ports from it. */
  stateDir: "SLUICE_LOCAL_STATE_DIR",
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
  };
}
