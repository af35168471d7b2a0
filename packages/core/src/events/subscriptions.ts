import type { Route, SluiceEventType } from "./envelope";

/**
 * An SNS subscription filter policy on the `type`, `route` and `retrying` message attributes (a
 * type alias, not an interface, so it is assignable to the generic filter-policy record of the
 * local bus).
 */
export type EventFilter = {
  type: SluiceEventType[];
  route?: Route[];
  /** `[{ exists: false }]`: only events without the attribute (failures nothing retries). */
  retrying?: [{ exists: false }];
};

/** The consumers the events topic feeds (the listener is fed by the raw bucket instead). */
export type TopicConsumer = "transform" | "launcher" | "loader";

/**
 * Which events each consumer's queue receives: the one definition both the infrastructure's
 * SNS subscriptions and the local runtime's bus use, so the two cannot drift apart.
 */
export const CONSUMER_FILTERS: Readonly<Record<TopicConsumer, EventFilter>> = {
  transform: { type: ["sluice.object.received", "sluice.part.requested"], route: ["lambda"] },
  launcher: { type: ["sluice.object.received"], route: ["container"] },
  // `split` starts a fanned-out run's load early, copying parts as they are staged. Lambda-route
  // runs only: a container-route run is one the size route found too big for one loader
  // invocation's timeout, so the legacy-wrapper task that staged it loads it itself.
  loader: { type: ["sluice.object.staged", "sluice.object.split"], route: ["lambda"] },
};

/**
 * Events that need a human: they land in the alerts queue, whose depth raises an alarm. A
 * failure whose run was started again automatically (`retrying`) does not, as a Lambda phase's
 * failed receive that SQS retries does not; if the retries fail too, the last one alerts.
 */
export const ALERT_FILTER: Readonly<EventFilter> = {
  type: ["sluice.object.failed", "sluice.object.quarantined"],
  retrying: [{ exists: false }],
};
