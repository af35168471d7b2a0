import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { RetryableError } from "@sluice/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { findDeadLetterQueues, queueNameOf, SqsDeadLetterQueue } from "../../src";

const URL = "https://sqs.eu-west-1.amazonaws.com/111111111111/sluice-dev-loader-dlq";
const ARN = "arn:aws:sqs:eu-west-1:111111111111:sluice-dev-loader-dlq";

function sqsMessage(id: string, sent: number, receives = 5) {
  return {
    MessageId: id,
    ReceiptHandle: `rh-${id}`,
    Body: `{"id":"${id}"}`,
    Attributes: { ApproximateReceiveCount: String(receives), SentTimestamp: String(sent) },
  };
}

describe("SqsDeadLetterQueue", () => {
  const sqs = mockClient(SQSClient);
  const client = new SQSClient({ region: "eu-west-1" });

  beforeEach(() => sqs.reset());

  it("lists messages the approximate count says are not there, receiving until a receive brings nothing", async () => {
    // SQS's counts lag: the queue reads empty while it holds three messages.
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: "0", ApproximateNumberOfMessagesNotVisible: "0" },
    });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage("b", 2000), sqsMessage("a", 1000)] })
      .resolvesOnce({
        Messages: [{ ...sqsMessage("a", 1000, 6), ReceiptHandle: "rh-a-2" }, sqsMessage("c", 3000)],
      })
      .resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
    const queue = new SqsDeadLetterQueue(client, { url: URL });

    const messages = await queue.messages();

    expect(queue.name).toBe("sluice-dev-loader-dlq");
    expect(messages).toEqual([
      { messageId: "a", body: '{"id":"a"}', receiveCount: 5, sentTimestamp: 1000 },
      { messageId: "b", body: '{"id":"b"}', receiveCount: 5, sentTimestamp: 2000 },
      { messageId: "c", body: '{"id":"c"}', receiveCount: 5, sentTimestamp: 3000 },
    ]);
    expect(sqs).toHaveReceivedCommandTimes(GetQueueAttributesCommand, 0);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 3);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: URL,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: 60,
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    });
    // Listed messages are visible again at once, with the latest receipt handle of each.
    const released = sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((call) => call.args[0].input);
    expect(released).toHaveLength(1);
    expect(released[0]!.QueueUrl).toBe(URL);
    expect(released[0]!.Entries!.map((e) => [e.ReceiptHandle, e.VisibilityTimeout]).sort()).toEqual([
      ["rh-a-2", 0],
      ["rh-b", 0],
      ["rh-c", 0],
    ]);
  });

  it("keeps receiving through receives that bring only messages already seen, up to the configured number", async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage("a", 1000)] })
      .resolves({ Messages: [sqsMessage("a", 1000)] });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const queue = new SqsDeadLetterQueue(
      client,
      { url: URL, name: "loader-dlq" },
      { emptyReceivesToStop: 2 },
    );

    const messages = await queue.messages();

    expect(messages.map((m) => m.messageId)).toEqual(["a"]);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 3);
  });

  it("releases listed messages in batches of ten and stops at maxMessages", async () => {
    const batch = (from: number) =>
      Array.from({ length: 10 }, (_, i) => sqsMessage(`m${from + i}`, 1000 + from + i));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: batch(0) })
      .resolvesOnce({ Messages: batch(10).slice(0, 2) })
      .resolves({ Messages: batch(20) });
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({});
    const queue = new SqsDeadLetterQueue(client, { url: URL }, { maxMessages: 12 });

    const messages = await queue.messages();

    expect(messages).toHaveLength(12);
    expect(sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages)).toEqual([
      10, 2,
    ]);
    expect(
      sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input.Entries!.length),
    ).toEqual([10, 2]);
  });

  it("makes what it received visible again when a receive fails, and reports the failure as retryable", async () => {
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage("a", 1000)] })
      .rejects(Object.assign(new Error("slow down"), { name: "ThrottlingException", $metadata: {} }));
    sqs.on(ChangeMessageVisibilityBatchCommand).rejects(new Error("network down"));

    await expect(new SqsDeadLetterQueue(client, { url: URL }).messages()).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(sqs).toHaveReceivedCommandWith(ChangeMessageVisibilityBatchCommand, {
      Entries: [{ Id: "0", ReceiptHandle: "rh-a", VisibilityTimeout: 0 }],
    });
  });

  it("answers an empty queue after one long-polled receive and releases nothing", async () => {
    sqs.on(ReceiveMessageCommand).resolves({});

    expect(await new SqsDeadLetterQueue(client, { url: URL }).messages()).toEqual([]);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 1);
    expect(sqs).toHaveReceivedCommandTimes(ChangeMessageVisibilityBatchCommand, 0);
  });

  it("refuses short polling and batch sizes SQS does not allow", () => {
    expect(() => new SqsDeadLetterQueue(client, { url: URL }, { waitTimeSeconds: 0 })).toThrow(/long-polls/);
    expect(() => new SqsDeadLetterQueue(client, { url: URL }, { receiveBatchSize: 11 })).toThrow(/1\.\.10/);
  });

  it("reports visible and in-flight depth", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { ApproximateNumberOfMessages: "4", ApproximateNumberOfMessagesNotVisible: "1" },
    });

    expect(await new SqsDeadLetterQueue(client, { url: URL }).depth()).toEqual({ visible: 4, inFlight: 1 });
  });

  it("redrives with a message move task from the queue's ARN back to the source queue", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: { QueueArn: ARN, ApproximateNumberOfMessages: "2" },
    });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });

    const result = await new SqsDeadLetterQueue(client, { url: URL }).redrive();

    expect(result).toEqual({ taskHandle: "task-1", messages: 2 });
    // No DestinationArn: SQS sends each message back to the queue it was dead-lettered from.
    expect(sqs).toHaveReceivedCommandWith(StartMessageMoveTaskCommand, { SourceArn: ARN });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]!.args[0].input.DestinationArn).toBeUndefined();
  });

  it("turns throttling into a RetryableError and leaves a missing queue's error as it is", async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .rejectsOnce(Object.assign(new Error("slow down"), { name: "ThrottlingException", $metadata: {} }))
      .rejectsOnce(new QueueDoesNotExist({ message: "gone", $metadata: { httpStatusCode: 400 } }));
    const queue = new SqsDeadLetterQueue(client, { url: URL });

    await expect(queue.depth()).rejects.toBeInstanceOf(RetryableError);
    await expect(queue.depth()).rejects.toBeInstanceOf(QueueDoesNotExist);
  });
});

describe("findDeadLetterQueues", () => {
  const sqs = mockClient(SQSClient);

  beforeEach(() => sqs.reset());

  it("finds the dead-letter queues under a name prefix and names them without it", async () => {
    const base = "https://sqs.eu-west-1.amazonaws.com/111111111111";
    sqs
      .on(ListQueuesCommand)
      .resolvesOnce({
        QueueUrls: [`${base}/sluice-dev-loader`, `${base}/sluice-dev-loader-dlq`],
        NextToken: "t",
      })
      .resolvesOnce({ QueueUrls: [`${base}/sluice-dev-alerts-dlq`] });

    const queues = await findDeadLetterQueues(new SQSClient({ region: "eu-west-1" }), "sluice-dev-");

    expect(queues.map((q) => [q.name, q.url])).toEqual([
      ["alerts-dlq", `${base}/sluice-dev-alerts-dlq`],
      ["loader-dlq", `${base}/sluice-dev-loader-dlq`],
    ]);
    expect(sqs).toHaveReceivedCommandWith(ListQueuesCommand, { QueueNamePrefix: "sluice-dev-" });
  });

  it("reads the queue name from a URL", () => {
    expect(queueNameOf(`${URL}/`)).toBe("sluice-dev-loader-dlq");
  });
});
