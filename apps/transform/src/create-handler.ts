import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { dispositionOf, MalformedEventError, parseEvent, unwrapSqsBody } from "@sluice/core";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { type TransformDeps, transformObject } from "./transform-object";

/** The transform Lambda handler: an SQS batch in, the messages to redeliver out. */
export type TransformHandler = (event: SQSEvent, context?: Context) => Promise<SQSBatchResponse>;

/**
 * Builds the transform handler over `deps`. Each SQS message carries one `sluice.object.received`
 * event (SNS-wrapped or raw) routed to the Lambda; each is transformed in turn — one at a time, so
 * memory stays that of one object. A message that fails is reported as a batch item failure: the
 * queue redelivers it (retryable errors) until its redrive policy parks it in the DLQ (malformed
 * messages, unknown datasets). Bad content never fails a message: it is quarantined.
 */
export function createTransformHandler(deps: TransformDeps): TransformHandler {
  const handleRecord = async (record: SQSRecord): Promise<void> => {
    try {
      const received = parseEvent(unwrapSqsBody(record.body), "sluice.object.received");
      if (received.data.route !== "lambda") {
        throw new MalformedEventError(`event routes ${received.data.object.key} to ${received.data.route}`, {
          field: "data.route",
        });
      }
      deps.logger.appendKeys({ runId: received.data.runId, dataset: received.data.dataset });
      await transformObject(received, deps);
    } catch (error) {
      deps.logger.error("message failed", {
        messageId: record.messageId,
        disposition: dispositionOf(error),
        error: error as Error,
      });
      throw error;
    } finally {
      deps.logger.removeKeys(["runId", "dataset"]);
    }
  };

  return (event, context) =>
    processPartialResponse(event, handleRecord, new BatchProcessor(EventType.SQS), {
      ...(context ? { context } : {}),
      processInParallel: false,
      throwOnFullBatchFailure: false,
    });
}
