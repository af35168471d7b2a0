import {
  dispositionOf,
  type Logger,
  MalformedEventError,
  parseEvent,
  type SluiceEvent,
  type TaskLauncher,
  unwrapSqsBody,
} from "@sluice/core";

/** The part of an SQS record the launcher reads. */
export interface LauncherSqsRecord {
  messageId: string;
  body: string;
}

/** The part of an SQS event the launcher reads. */
export interface LauncherSqsEvent {
  Records: LauncherSqsRecord[];
}

/** The partial batch response: the records SQS must redeliver (and, after retries, dead-letter). */
export interface LauncherBatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/** The ports the launcher needs. */
export interface LauncherDeps {
  launcher: TaskLauncher;
  logger: Logger;
}

/**
 * Parses one SQS record as a `sluice.object.received` event for the container route. A record
 * routed elsewhere is malformed here: the queue's filter policy should never have let it in.
 */
export function parseContainerEvent(record: LauncherSqsRecord): SluiceEvent<"sluice.object.received"> {
  const event = parseEvent(unwrapSqsBody(record.body), "sluice.object.received");
  if (event.data.route !== "container") {
    throw new MalformedEventError(
      `event ${event.id} for ${event.data.object.key} has route ${event.data.route}, not container`,
      { field: "data.route", route: event.data.route },
    );
  }
  return event;
}

/**
 * Starts one legacy-wrapper task per record, one at a time (RunTask is rate limited per
 * account). A record whose launch fails, for whatever reason, is returned as a batch item
 * failure: SQS redelivers it, and after the queue's receive limit moves it to the DLQ.
 */
export async function launchContainerTasks(
  event: LauncherSqsEvent,
  deps: LauncherDeps,
): Promise<LauncherBatchResponse> {
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    try {
      const received = parseContainerEvent(record);
      const { runId, dataset, object } = received.data;
      const result = await deps.launcher.launch({ event: received });
      deps.logger.info(result.alreadyRunning ? "task already running for run" : "task started", {
        runId,
        dataset,
        key: object.key,
        taskId: result.taskId,
        messageId: record.messageId,
      });
    } catch (error) {
      const sluiceError = error as { code?: string; context?: unknown };
      deps.logger.error("could not launch the legacy-wrapper task", {
        messageId: record.messageId,
        disposition: dispositionOf(error),
        code: sluiceError.code,
        context: sluiceError.context,
        error: error as Error,
      });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}

/** The launcher Lambda handler over injected ports (the local runtime passes its own). */
export function createLauncherHandler(
  deps: LauncherDeps,
): (event: LauncherSqsEvent) => Promise<LauncherBatchResponse> {
  return (event) => launchContainerTasks(event, deps);
}
