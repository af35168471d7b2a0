import {
  type BatchMode,
  createSqsBatchHandler,
  type EventPublisher,
  type Logger,
  MalformedEventError,
  parseEvent,
  type SluiceEvent,
  type SqsBatchHandler,
  type TaskLauncher,
  unwrapSqsBody,
} from "@sluice/core";
import type { SQSRecord } from "aws-lambda";
import { stoppedTaskFailure, stoppedTaskRetry, taskStateChangeOf } from "./task-stopped";

/**
 * The launcher starts the tasks of an SQS batch one after another. A launch looks for a task
 * already running for the run (ListTasks by `startedBy`) before it calls RunTask; two records of
 * the same run launched at once could both find none and start two tasks. One at a time also
 * keeps the batch under RunTask's per-account rate limit.
 */
export const LAUNCHER_BATCH_MODE: BatchMode = "sequential";

/** The ports the launcher needs. */
export interface LauncherDeps {
  launcher: TaskLauncher;
  logger: Logger;
  /**
   * Where the failure of a task that stopped without reporting is published, with the name of
   * the task definition's container, and how many tasks a run gets before a retryable stop is
   * left failed (`ENV.taskMaxAttempts`). Only in AWS, where an EventBridge rule sends the
   * cluster's stopped tasks to the launcher's queue; locally the runtime's own task watch does this.
   */
  stoppedTasks?: { publisher: EventPublisher; containerName: string; maxAttempts: number };
}

/**
 * Parses one SQS record as a `sluice.object.received` event for the container route. A record
 * routed elsewhere is malformed here: the queue's filter policy should never have let it in.
 */
export function parseContainerEvent(record: SQSRecord): SluiceEvent<"sluice.object.received"> {
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
 * The launcher Lambda handler over injected ports (the local runtime passes its own): core's
 * {@link createSqsBatchHandler} in {@link LAUNCHER_BATCH_MODE}, one legacy-wrapper task per record.
 * A record carrying an ECS task state change (the cluster's stopped tasks, through EventBridge)
 * publishes the `object.failed` its run is owed when the task could not report
 * (`stoppedTaskFailure`), and nothing when it did; a retryable stop with attempts left starts
 * the run's task again, one attempt later (`stoppedTaskRetry`).
 * A record whose launch fails, for whatever reason, is a batch item failure: SQS redelivers it,
 * and after the queue's receive limit moves it to the DLQ.
 */
export function createLauncherHandler(deps: LauncherDeps): SqsBatchHandler {
  return createSqsBatchHandler({
    mode: LAUNCHER_BATCH_MODE,
    logger: deps.logger,
    handleRecord: async (record, logger) => {
      const stopped = taskStateChangeOf(record.body);
      if (stopped) {
        if (!deps.stoppedTasks) throw new Error("a stopped task's event came with no publisher to report it");
        const { publisher, containerName, maxAttempts } = deps.stoppedTasks;
        const retry = stoppedTaskRetry(stopped.detail, containerName, maxAttempts);
        const failed = stoppedTaskFailure(
          stopped.detail,
          containerName,
          retry && { attempt: retry.attempt, maxAttempts },
        );
        if (failed) {
          logger.appendKeys({ runId: failed.data.runId, dataset: failed.data.dataset });
          await publisher.publish(failed);
          logger.warn("task stopped without reporting; its run is failed", {
            key: failed.data.object.key,
            taskArn: stopped.detail.taskArn,
            reason: failed.data.reason,
            retryable: failed.data.retryable,
          });
        }
        if (retry) {
          // Published first: the failure names why, and the new attempt's outcome comes after it.
          const result = await deps.launcher.launch(retry);
          logger.info(result.alreadyRunning ? "task already running for run" : "task started again", {
            key: retry.event.data.object.key,
            attempt: retry.attempt,
            maxAttempts,
            taskId: result.taskId,
          });
        }
        return;
      }
      const received = parseContainerEvent(record);
      const { runId, dataset, object } = received.data;
      logger.appendKeys({ runId, dataset });
      const result = await deps.launcher.launch({ event: received });
      logger.info(result.alreadyRunning ? "task already running for run" : "task started", {
        key: object.key,
        taskId: result.taskId,
      });
    },
  });
}
