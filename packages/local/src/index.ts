export {
  branchesOf,
  FILTER_OPERATORS,
  type FilterBranch,
  type FilterCondition,
  type FilterPolicy,
  type FilterValue,
  isOrOperator,
  type MessageAttribute,
  type MessageAttributes,
  matchesFilterPolicy,
} from "./bus/filter-policy";
export {
  type FilterPolicyLimits,
  SNS_FILTER_POLICY_LIMITS,
  validateFilterPolicy,
} from "./bus/filter-policy-validation";
export {
  type CreateQueueOptions,
  DLQ_SUFFIX,
  LocalBus,
  type LocalBusOptions,
  LocalEventPublisher,
  stringAttributes,
} from "./bus/local-bus";
export { LocalQueue, type OpenQueueOptions, type QueueCounts, type ReceivedMessage } from "./bus/local-queue";
export {
  LocalTopic,
  type NotificationSink,
  type PublishInput,
  type PublishResult,
  type SnsNotification,
  type SubscriptionOptions,
} from "./bus/local-topic";
export type { SqsMessageAttribute, StoredMessage } from "./bus/message-store";
export { DEFAULT_QUEUE_SETTINGS, type QueueSettings } from "./bus/queue-settings";
export { type Clock, MANUAL_CLOCK_START, ManualClock, systemClock } from "./clock";
export { EventJournal, type JournalEntry } from "./events/event-journal";
export { EventOutbox } from "./events/event-outbox";
export { MemoryEventPublisher } from "./events/memory-event-publisher";
export { type Durability, isFsError, writeFileAtomic } from "./files";
export {
  DEFAULT_FUNCTION_SETTINGS,
  FunctionHost,
  type FunctionHostOptions,
  type FunctionSettings,
  type InvocationOutcome,
  type InvocationReport,
  type LocalFunctionDefinition,
  type SqsFunctionHandler,
} from "./functions/function-host";
export { type RetryBackoff, retryDelayOf } from "./functions/retry-delay";
export { encodeKeySegment, keyPathOf } from "./object-store/key-paths";
export {
  LocalObjectNotFoundError,
  LocalObjectStore,
  type LocalObjectStoreOptions,
  type S3NotificationSink,
} from "./object-store/local-object-store";
export { MemoryObjectStore, type PutFault } from "./object-store/memory-object-store";
export {
  type CreatedObject,
  LOCAL_NOTIFICATION_ORIGIN,
  type NotificationOrigin,
  objectCreatedNotification,
} from "./object-store/s3-notification";
export { LOCAL_ENV, type LocalStateLayout, localStateLayout } from "./state-layout";
export { isLocalTask, type LocalTaskPorts, localTaskPorts } from "./task-ports";
export {
  DEFAULT_TASK_RUNNER_SETTINGS,
  LocalTaskRunner,
  type LocalTaskRunnerOptions,
  type TaskExit,
  type TaskOutputLine,
} from "./tasks/local-task-runner";
