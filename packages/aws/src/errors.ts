import { NETWORK_ERROR_CODES, QuarantineError, RetryableError } from "@sluice/core";

/**
 * The object (or the version of it) a phase asked for does not exist. Its code is `not-found`,
 * the code every {@link ObjectStore} uses, so callers test `hasCode(error, "not-found")` and
 * stay independent of which store raised it.
 */
export class ObjectNotFoundError extends QuarantineError {
  constructor(
    readonly bucket: string,
    readonly key: string,
    readonly versionId?: string,
    options?: ErrorOptions,
  ) {
    super(
      "not-found",
      `s3://${bucket}/${key}${versionId ? ` (version ${versionId})` : ""} does not exist`,
      { bucket, key, ...(versionId ? { versionId } : {}) },
      options,
    );
  }
}

/** The fields of an AWS SDK v3 service or transport error that classification reads. */
interface AwsErrorShape {
  name?: string;
  code?: string;
  $fault?: "client" | "server";
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
  cause?: unknown;
}

/** Error names AWS services use for "slow down" (S3 `SlowDown`, SNS `Throttling`, …). */
const THROTTLING_NAMES = new Set([
  "SlowDown",
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "RequestLimitExceeded",
  "TooManyRequestsException",
  "BandwidthLimitExceeded",
  "KMSThrottlingException",
]);

/** Names of transport failures: the request may never have reached the service. */
const TRANSIENT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);

function shapeOf(error: unknown): AwsErrorShape | undefined {
  return typeof error === "object" && error !== null ? (error as AwsErrorShape) : undefined;
}

/** The HTTP status an SDK error carries, when the service answered at all. */
export function httpStatusOf(error: unknown): number | undefined {
  return shapeOf(error)?.$metadata?.httpStatusCode;
}

/**
 * True when a later retry of the same call may succeed: throttling, a 5xx answer or a
 * network failure. The SDK has already retried the call itself by the time an adapter sees
 * the error, so this decides whether the queue should redeliver the message later.
 */
export function isRetryableAwsError(error: unknown, depth = 0): boolean {
  const shape = shapeOf(error);
  if (!shape || shape.name === "AbortError") return false;
  const status = shape.$metadata?.httpStatusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  if (shape.$fault === "server" || shape.$retryable !== undefined) return true;
  if (shape.name && (THROTTLING_NAMES.has(shape.name) || TRANSIENT_NAMES.has(shape.name))) return true;
  if (shape.code && NETWORK_ERROR_CODES.has(shape.code)) return true;
  return shape.cause !== undefined && depth < 5 && isRetryableAwsError(shape.cause, depth + 1);
}

/**
 * Wraps `error` in a {@link RetryableError} (code `aws-retryable`) when it is transient,
 * keeping it as `cause`; returns any other error unchanged, so it keeps its own class.
 */
export function toRetryable(error: unknown, operation: string, context: Record<string, unknown>): unknown {
  if (!isRetryableAwsError(error)) return error;
  const shape = shapeOf(error);
  const reason = shape?.name ?? shape?.code ?? "error";
  return new RetryableError(
    "aws-retryable",
    `${operation} failed transiently (${reason}${httpStatusOf(error) ? ` ${httpStatusOf(error)}` : ""}): ${
      error instanceof Error ? error.message : String(error)
    }`,
    { operation, awsError: reason, httpStatus: httpStatusOf(error), ...context },
    { cause: error },
  );
}
