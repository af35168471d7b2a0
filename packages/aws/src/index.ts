export * from "./ecs-task-launcher";
export { httpStatusOf, isRetryableAwsError, ObjectNotFoundError, toRetryable } from "./errors";
export * from "./s3";
export * from "./sns";
export * from "./sqs";
