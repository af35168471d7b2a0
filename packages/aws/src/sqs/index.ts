export {
  DEAD_LETTER_QUEUE_SUFFIX,
  DEFAULT_SQS_DEAD_LETTER_QUEUE_CONFIG,
  type DeadLetterDepth,
  type DeadLetterMessage,
  findDeadLetterQueues,
  queueNameOf,
  SqsDeadLetterQueue,
  type SqsDeadLetterQueueConfig,
} from "./sqs-dead-letter-queue";
