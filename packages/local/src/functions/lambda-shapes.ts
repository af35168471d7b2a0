import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from "aws-lambda";
import type { LocalQueue, ReceivedMessage } from "../bus/local-queue";
import type { Clock } from "../clock";

/** Where a hosted function runs, as its ARNs name it. */
export interface LambdaPlacement {
  region: string;
  accountId: string;
}

/** The SQS event Lambda's event source mapping hands a function for `messages` of `queue`. */
export function sqsEventOf(
  queue: LocalQueue,
  messages: readonly ReceivedMessage[],
  region: string,
): SQSEvent {
  return { Records: messages.map((message) => sqsRecordOf(queue, message, region)) };
}

function sqsRecordOf(queue: LocalQueue, message: ReceivedMessage, region: string): SQSRecord {
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, attribute] of Object.entries(message.messageAttributes)) {
    messageAttributes[name] = {
      dataType: attribute.dataType,
      stringValue: attribute.stringValue,
      stringListValues: [],
      binaryListValues: [],
    };
  }
  return {
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: { ...message.attributes },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    eventSource: "aws:sqs",
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
}

/** What a Lambda context of one invocation says. */
export interface InvocationIdentity {
  functionName: string;
  requestId: string;
  memoryMb: number;
  /** Epoch ms (of `clock`) when the invocation times out. */
  deadline: number;
  /** Numbers the sandbox in the log stream name. */
  sandbox: number;
}

/** A Lambda context whose remaining time counts down on `clock`. Callback-style methods throw. */
export function lambdaContextOf(
  identity: InvocationIdentity,
  placement: LambdaPlacement,
  clock: Clock,
): Context {
  const { functionName, requestId, memoryMb, deadline, sandbox } = identity;
  const noLongerSupported = () => {
    throw new Error("callback-style context methods are not supported; return a promise");
  };
  const day = new Date(clock.now()).toISOString().slice(0, 10).replace(/-/g, "/");
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${placement.region}:${placement.accountId}:function:${functionName}`,
    memoryLimitInMB: String(memoryMb),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]local${sandbox}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now()),
    done: noLongerSupported,
    fail: noLongerSupported,
    succeed: noLongerSupported,
  };
}

/**
 * The message ids a handler response asks to retry: none for an empty response, the listed
 * ones for `batchItemFailures`, or an Error when the response names an id not in the batch
 * (Lambda then retries the whole batch).
 */
export function failedIdsOf(response: unknown, ids: readonly string[]): string[] | Error {
  if (response === undefined || response === null) return [];
  const failures = (response as Partial<SQSBatchResponse>).batchItemFailures;
  if (failures === undefined || failures === null) return [];
  if (!Array.isArray(failures)) return new Error("batchItemFailures is not an array");
  const known = new Set(ids);
  const failed: string[] = [];
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== "string" || !known.has(id)) {
      return new Error(`batchItemFailures names ${JSON.stringify(id)}, which is not in the batch`);
    }
    failed.push(id);
  }
  return failed;
}
