/**
 * The error family shared by every phase. A handler decides what to do with a failure by its
 * class (its {@link SluiceError.disposition}), never by its message text.
 */

/** What a consumer does with a failure. */
export type Disposition =
  /** Throw so the queue redelivers (throttling, network, a lock held by another run). */
  | "retry"
  /** The message itself can never be processed (malformed event): park it in the DLQ. */
  | "dead-letter"
  /** The object's content is permanently bad: park the whole object in quarantine. */
  | "quarantine";

/** Base class of every error Sluice raises on purpose. */
export abstract class SluiceError extends Error {
  /** What the consumer does with this failure. */
  abstract readonly disposition: Disposition;
  /** A short, stable, machine-readable reason, e.g. `no-dataset`, `not-utf8`. */
  readonly code: string;
  /** Typed context that names what is wrong (object, line, field, …). */
  readonly context: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.context = context;
  }
}

/** A transient failure: retrying the same message later may succeed. */
export class RetryableError extends SluiceError {
  readonly disposition = "retry" as const;
}

/** A message that is not what its consumer expects (wrong shape, missing field). */
export class MalformedEventError extends SluiceError {
  readonly disposition = "dead-letter" as const;
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super("malformed-event", message, context, options);
  }
}

/** A dataset contract that cannot be used (bad JSON, unknown type, inconsistent fields). */
export class ContractError extends SluiceError {
  readonly disposition = "dead-letter" as const;
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super("invalid-contract", message, context, options);
  }
}

/** An object whose content can never be loaded as it is; it goes to quarantine whole. */
export class QuarantineError extends SluiceError {
  readonly disposition = "quarantine" as const;
}

/** A configuration value that is missing or wrong; fails fast at start-up. */
export class ConfigError extends SluiceError {
  readonly disposition = "dead-letter" as const;
  constructor(message: string, context: Record<string, unknown> = {}) {
    super("invalid-config", message, context);
  }
}

/** The disposition of any thrown value: unknown errors are retried, so nothing is lost. */
export function dispositionOf(error: unknown): Disposition {
  return error instanceof SluiceError ? error.disposition : "retry";
}

/** True when `error` is a {@link SluiceError} with the given code. */
export function hasCode(error: unknown, code: string): error is SluiceError {
  return error instanceof SluiceError && error.code === code;
}
