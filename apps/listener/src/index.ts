export {
  createListenerHandler,
  LISTENER_BATCH_MODE,
  type ListenerHandler,
  receiveSqsRecord,
} from "./listener-handler";
export {
  LISTENER_FAILURE_REASONS,
  LISTENER_SOURCE,
  type ListenerDeps,
  type ReceiveOutcome,
  receiveObject,
} from "./receive-object";
