import {
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

  it("peeks every message once, oldest first, leaving them visible (visibility timeout 0)", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "3" } });
    // Short polling samples servers: the first receive brings two messages, the next a repeat and the third.
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage("b", 2000), sqsMessage("a", 1000)] })
      .resolvesOnce({ Messages: [sqsMessage("a", 1000, 6), sqsMessage("c", 3000)] });
    const queue = new SqsDeadLetterQueue(client, { url: URL });

    const messages = await queue.messages();

    expect(queue.name).toBe("sluice-dev-loader-dlq");
    expect(messages).toEqual([
      { messageId: "a", body: '{"id":"a"}', receiveCount: 5, sentTimestamp: 1000 },
      { messageId: "b", body: '{"id":"b"}', receiveCount: 5, sentTimestamp: 2000 },
      { messageId: "c", body: '{"id":"c"}', receiveCount: 5, sentTimestamp: 3000 },
    ]);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 2);
    expect(sqs).toHaveReceivedCommandWith(ReceiveMessageCommand, {
      QueueUrl: URL,
      VisibilityTimeout: 0,
      MaxNumberOfMessages: 10,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
    });
  });

  it("stops peeking after receives that bring nothing new, even when the depth says more", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "5" } });
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [sqsMessage("a", 1000)] })
      .resolves({ Messages: [sqsMessage("a", 1000)] });
    const queue = new SqsDeadLetterQueue(
      client,
      { url: URL, name: "loader-dlq" },
      { emptyReceivesToStop: 2 },
    );

    const messages = await queue.messages();

    expect(messages.map((m) => m.messageId)).toEqual(["a"]);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 3);
  });

  it("does not receive at all from an empty queue", async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: "0" } });

    expect(await new SqsDeadLetterQueue(client, { url: URL }).messages()).toEqual([]);
    expect(sqs).toHaveReceivedCommandTimes(ReceiveMessageCommand, 0);
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
