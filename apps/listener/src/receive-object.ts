import {
  ContractError,
  createEvent,
  type DatasetRegistry,
  type EventPublisher,
  formatObjectRef,
  isFolderMarker,
  type Logger,
  routeFor,
  runIdOf,
  type S3ObjectEvent,
  type SluiceEvent,
} from "@sluice/core";

/** The `source` of every event the listener publishes. */
export const LISTENER_SOURCE = "sluice/listener";

/** What the listener needs, as ports, so the local runtime can pass its own. */
export interface ListenerDeps {
  /** The dataset contracts of this deployment (`@sluice/datasets` `loadRegistry()`). */
  registry: DatasetRegistry;
  /** Where `sluice.object.received` / `sluice.object.failed` go (SNS in AWS). */
  publisher: EventPublisher;
  /** The listener's logger (core `createLogger("listener")`). */
  logger: Logger;
  /**
   * The environment's cap on the lambda route (`SLUICE_LAMBDA_ROUTE_MAX_BYTES`, core's
   * `lambdaRouteMaxBytesFrom`): an `auto` contract's object above it goes to the container. Absent: no cap.
   */
  lambdaRouteMaxBytes?: number;
  /** Clock of the emitted events (tests pin it). */
  now?: () => Date;
}

/** What {@link receiveObject} did with one object notification. */
export type ReceiveOutcome =
  /** A contract claims the object: `sluice.object.received` was published. */
  | { kind: "received"; event: SluiceEvent<"sluice.object.received"> }
  /** No contract could take the object: `sluice.object.failed` was published. */
  | { kind: "failed"; event: SluiceEvent<"sluice.object.failed"> }
  /** Nothing to process (a folder marker, or not an object-created notification); logged. */
  | { kind: "ignored"; reason: "folder-marker" | "not-object-created"; key: string };

/** Failure reasons the listener itself gives in `sluice.object.failed`. */
export const LISTENER_FAILURE_REASONS = {
  /** No dataset contract claims the key. */
  noDataset: "no-dataset",
} as const;

/**
 * Turns one S3 object notification into the pipeline's first event.
 *
 * - Folder markers (`reports/2026/`, zero bytes) are ignored on purpose: the S3 console makes
 *   them when someone creates a folder, and they hold no data. Logged at INFO.
 * - Notifications other than `ObjectCreated:*` are ignored and logged: only new objects start runs.
 * - Zero-byte files are received like any other object. An empty export file means "no rows
 *   this time"; the transform stages an empty run and the loader records it with zero rows,
 *   so the run is visible in `sluice status` instead of looking like a failure. Loading merges
 *   on the primary key and never deletes, so an empty run cannot remove data.
 * - A key no contract claims publishes `sluice.object.failed` with reason `no-dataset`, and a
 *   key two contracts claim equally publishes it with reason `invalid-contract`: never dropped.
 *
 * Publisher failures propagate (retryable ones as `RetryableError`) so the message is retried.
 */
export async function receiveObject(
  notification: S3ObjectEvent,
  deps: ListenerDeps,
): Promise<ReceiveOutcome> {
  const { object } = notification;
  const log = {
    key: object.key,
    bucket: object.bucket,
    size: object.size,
    eventName: notification.eventName,
  };
  if (!notification.eventName.startsWith("ObjectCreated:")) {
    deps.logger.info("ignored: not an ObjectCreated notification", log);
    return { kind: "ignored", reason: "not-object-created", key: object.key };
  }
  if (isFolderMarker(object)) {
    deps.logger.info("ignored: folder marker (zero-byte key ending in /)", log);
    return { kind: "ignored", reason: "folder-marker", key: object.key };
  }

  const runId = runIdOf(object);
  const time = deps.now?.();
  const options = time ? { time } : {};
  let contract: ReturnType<DatasetRegistry["claim"]>;
  try {
    contract = deps.registry.claim(object.key);
  } catch (error) {
    if (!(error instanceof ContractError)) throw error;
    return publishFailed(deps, { runId, object, reason: error.code, message: error.message, options, log });
  }
  if (!contract) {
    const message = `no dataset contract claims ${formatObjectRef(object)}; add a contract whose match covers the key, then replay`;
    return publishFailed(deps, {
      runId,
      object,
      reason: LISTENER_FAILURE_REASONS.noDataset,
      message,
      options,
      log,
    });
  }

  const route = routeFor(contract, object.size, deps.lambdaRouteMaxBytes);
  // Said in the log, because the contract alone would have sent it to the transform.
  const capped = route !== routeFor(contract, object.size);
  const event = createEvent(
    "sluice.object.received",
    LISTENER_SOURCE,
    { runId, object, dataset: contract.name, contractVersion: contract.version, route },
    options,
  );
  await deps.publisher.publish(event);
  deps.logger.info(object.size === 0 ? "received: zero-byte object, an empty run" : "received", {
    ...log,
    runId,
    dataset: contract.name,
    route,
    ...(capped ? { lambdaRouteMaxBytes: deps.lambdaRouteMaxBytes, routedBy: "lambda-route-cap" } : {}),
    eventId: event.id,
  });
  return { kind: "received", event };
}

async function publishFailed(
  deps: ListenerDeps,
  failure: {
    runId: string;
    object: S3ObjectEvent["object"];
    reason: string;
    message: string;
    options: { time?: Date };
    log: Record<string, unknown>;
  },
): Promise<ReceiveOutcome> {
  const event = createEvent(
    "sluice.object.failed",
    LISTENER_SOURCE,
    {
      runId: failure.runId,
      object: failure.object,
      phase: "listener",
      reason: failure.reason,
      message: failure.message,
      retryable: false,
    },
    failure.options,
  );
  await deps.publisher.publish(event);
  deps.logger.warn(`failed: ${failure.reason}`, {
    ...failure.log,
    runId: failure.runId,
    reason: failure.reason,
    message: failure.message,
    eventId: event.id,
  });
  return { kind: "failed", event };
}
