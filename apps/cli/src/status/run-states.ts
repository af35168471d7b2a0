/**
 * Where a run can be in its lifecycle, in the order people read them (status, the progress block,
 * the dashboard). No imports: the dashboard's page, built for the browser, imports it too.
 */
export const RUN_STATES = [
  "received",
  "staged",
  "loaded",
  "quarantined",
  "failed",
  "retrying",
  "dead-lettered",
  "unloaded",
] as const;

/** One of {@link RUN_STATES}. */
export type RunState = (typeof RUN_STATES)[number];
