import {
  type BatchMode,
  createSqsBatchHandler,
  MalformedEventError,
  parseEvent,
  type SluiceEvent,
  type SqsBatchHandler,
  unwrapSqsBody,
} from "@sluice/core";
import { type TransformDeps, transformObject, transformPart } from "./transform-object";

/**
 * The transform works through the records of an SQS batch one at a time: each streams a whole
 * object through parsing, validation and gzip, so memory stays that of one object's buffers and
 * the CPU is not split between objects that would each finish later.
 */
export const TRANSFORM_BATCH_MODE: BatchMode = "sequential";

/**
 * Builds the transform handler over `deps`. Each SQS message carries one `sluice.object.received`
 * event routed to the Lambda, or one `sluice.part.requested` (a part of an object fanned out),
 * SNS-wrapped or raw; the batch goes through core's
 * {@link createSqsBatchHandler} in {@link TRANSFORM_BATCH_MODE}. A message that fails is reported
 * as a batch item failure: the queue redelivers it (retryable errors) until its redrive policy
 * parks it in the DLQ (malformed messages, unknown datasets). Bad content never fails a message:
 * it is quarantined.
 */
export function createTransformHandler(deps: TransformDeps): SqsBatchHandler {
  return createSqsBatchHandler({
    mode: TRANSFORM_BATCH_MODE,
    logger: deps.logger,
    handleRecord: async (record, logger) => {
      const event = parseEvent(unwrapSqsBody(record.body), [
        "sluice.object.received",
        "sluice.part.requested",
      ]);
      if (event.data.route !== "lambda") {
        throw new MalformedEventError(`event routes ${event.data.object.key} to ${event.data.route}`, {
          field: "data.route",
        });
      }
      logger.appendKeys({ runId: event.data.runId, dataset: event.data.dataset });
      if (event.type === "sluice.part.requested")
        await transformPart(event as SluiceEvent<"sluice.part.requested">, { ...deps, logger });
      else await transformObject(event as SluiceEvent<"sluice.object.received">, { ...deps, logger });
    },
  });
}
