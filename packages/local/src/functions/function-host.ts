import { randomUUID } from "node:crypto";
import { ConfigError } from "@sluice/core";
import type { Context, SQSEvent } from "aws-lambda";
import type { LocalQueue, ReceivedMessage } from "../bus/local-queue";
import { type Clock, systemClock } from "../clock";
import { failedIdsOf, type LambdaPlacement, lambdaContextOf, sqsEventOf } from "./lambda-shapes";
import { retryDelayOf } from "./retry-delay";

/**
 * A Lambda handler of SQS batches, as phases export them. It may resolve to an
 * `SQSBatchResponse` to report partial batch failures; any other result means all succeeded.
 */
export type SqsFunctionHandler = (event: SQSEvent, context: Context) => unknown;

/** How a function is run: the Lambda and event source mapping settings the infrastructure sets. */
export interface FunctionSettings {
  /** Messages per invocation at most (event source mapping `BatchSize`). */
  batchSize: number;
  /** An invocation running longer is failed and its messages return after the visibility timeout. */
  timeoutMs: number;
  /** Invocations of this function running at once at most (reserved concurrency). */
  reservedConcurrency: number;
  /** Memory the context reports (`memoryLimitInMB`); informational locally. */
  memoryMb: number;
  /**
   * When set, messages of an invocation that threw (or reported them failed) come back after
   * this delay instead of the queue's whole visibility timeout, as if the handler had called
   * `ChangeMessageVisibility` before failing; the delay doubles at each further receive, up to
   * `maxRetryDelayMs` ({@link retryDelayOf}). Keeps local retries quick while the visibility
   * timeout stays long enough (6x the function timeout) that a slow invocation is never
   * delivered twice at once. Timed-out invocations always wait out the visibility timeout.
   */
  retryDelayMs?: number;
  /** The bound of the doubling retry delay; default the queue's visibility timeout. */
  maxRetryDelayMs?: number;
}

/** Defaults of {@link FunctionSettings}. */
export const DEFAULT_FUNCTION_SETTINGS: Readonly<FunctionSettings> = {
  batchSize: 10,
  timeoutMs: 60_000,
  reservedConcurrency: 1,
  memoryMb: 1024,
};

/** A function to host: a name, the queue it consumes, its environment and its handler. */
export interface LocalFunctionDefinition {
  name: string;
  /** The queue its event source mapping polls. */
  queue: LocalQueue;
  /** Its environment variables (core `ENV` names), as the infrastructure sets them on the Lambda. */
  environment?: Readonly<Record<string, string>>;
  /** Builds the handler once, like a Lambda's module scope runs once per sandbox, from its environment. */
  createHandler(
    environment: Readonly<Record<string, string>>,
  ): SqsFunctionHandler | Promise<SqsFunctionHandler>;
  settings?: Partial<FunctionSettings>;
}

/** How an invocation ended. */
export type InvocationOutcome = "succeeded" | "partial" | "failed" | "timed-out";

/** What happened in one invocation, for progress displays and tests. */
export interface InvocationReport {
  functionName: string;
  requestId: string;
  messageIds: string[];
  /** Messages that will be delivered again (everything, unless the outcome is `partial` or `succeeded`). */
  failedMessageIds: string[];
  outcome: InvocationOutcome;
  startedAt: Date;
  durationMs: number;
  /** The thrown error, for `failed`; why the response was rejected, for an invalid one. */
  error?: unknown;
}

/** Options of {@link FunctionHost}. */
export interface FunctionHostOptions {
  region?: string;
  accountId?: string;
  /** How often an idle poller looks again when nothing arrived (messages whose visibility ran out). */
  pollIntervalMs?: number;
  /** Called after every invocation. */
  onInvocation?: (report: InvocationReport) => void;
  /** Called when polling a queue fails (the poller retries after `pollIntervalMs`). */
  onPollError?: (functionName: string, error: unknown) => void;
  /**
   * What invocation timeouts, remaining time and report times are measured by (default
   * {@link systemClock}). Use the clock of the functions' queues: the poll wait runs on theirs.
   */
  clock?: Clock;
}

interface HostedFunction {
  definition: LocalFunctionDefinition;
  settings: FunctionSettings;
  environment: Readonly<Record<string, string>>;
  handler: SqsFunctionHandler;
  active: Set<Promise<void>>;
  invocations: number;
}

class InvocationTimeout extends Error {
  constructor(functionName: string, timeoutMs: number) {
    super(`${functionName} timed out after ${timeoutMs} ms`);
    this.name = "InvocationTimeout";
  }
}

/** What the timeout side of an invocation's race resolves to. */
const TIMED_OUT = Symbol("timed out");

/**
 * Runs SQS-triggered handlers the way Lambda's event source mapping does: polls each
 * function's queue, invokes the handler with an SQS event (`Records[]` as AWS shapes them) and
 * a Lambda context, at most `reservedConcurrency` invocations at once, each with at most
 * `batchSize` messages and `timeoutMs` to run. Messages of a successful invocation are
 * deleted; a thrown error or a timeout leaves all of them to come back after the visibility
 * timeout (or, with `retryDelayMs`, after a delay that doubles per receive); a `batchItemFailures`
 * response deletes all but the listed ones (and an invalid response fails the whole batch, as
 * Lambda does).
 */
export class FunctionHost {
  readonly #functions = new Map<string, HostedFunction>();
  readonly #placement: LambdaPlacement;
  readonly #clock: Clock;
  readonly #pollIntervalMs: number;
  readonly #onInvocation: ((report: InvocationReport) => void) | undefined;
  readonly #onPollError: ((functionName: string, error: unknown) => void) | undefined;
  #abort: AbortController | undefined;
  #loops: Promise<void>[] = [];

  constructor(options: FunctionHostOptions = {}) {
    this.#placement = {
      region: options.region ?? "us-east-1",
      accountId: options.accountId ?? "000000000000",
    };
    this.#clock = options.clock ?? systemClock;
    this.#pollIntervalMs = options.pollIntervalMs ?? 250;
    this.#onInvocation = options.onInvocation;
    this.#onPollError = options.onPollError;
  }

  /** Adds a function; its handler is built now from its environment. */
  async register(definition: LocalFunctionDefinition): Promise<void> {
    if (this.#functions.has(definition.name)) {
      throw new ConfigError(`function ${definition.name} is already registered`, { name: definition.name });
    }
    const settings = { ...DEFAULT_FUNCTION_SETTINGS, ...definition.settings };
    for (const [name, value] of Object.entries(settings)) {
      if (value === undefined || (name === "retryDelayMs" && value === 0)) continue;
      if (!Number.isInteger(value) || value < 1) {
        throw new ConfigError(`function ${definition.name}: ${name} must be a positive integer`, { name });
      }
    }
    const environment = { ...definition.environment };
    const handler = await definition.createHandler(environment);
    const hosted: HostedFunction = {
      definition,
      settings,
      environment,
      handler,
      active: new Set(),
      invocations: 0,
    };
    this.#functions.set(definition.name, hosted);
    if (this.#abort) this.#loops.push(this.#poll(hosted, this.#abort.signal));
  }

  /** Starts polling every registered function's queue. */
  start(): void {
    if (this.#abort) return;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#loops = [...this.#functions.values()].map((hosted) => this.#poll(hosted, signal));
  }

  /**
   * Stops polling and waits for running invocations (each ends by its own timeout at the
   * latest). Messages they have not finished stay on disk and come back on the next start.
   */
  async stop(): Promise<void> {
    this.#abort?.abort();
    this.#abort = undefined;
    await Promise.all(this.#loops);
    this.#loops = [];
    await Promise.all([...this.#functions.values()].flatMap((hosted) => [...hosted.active]));
  }

  /** Invocations running now, across all functions. */
  activeInvocations(): number {
    let count = 0;
    for (const hosted of this.#functions.values()) count += hosted.active.size;
    return count;
  }

  /** The environment a registered function runs with. */
  environmentOf(name: string): Readonly<Record<string, string>> {
    const hosted = this.#functions.get(name);
    if (!hosted) throw new ConfigError(`no function named ${name}`, { name });
    return hosted.environment;
  }

  async #poll(hosted: HostedFunction, signal: AbortSignal): Promise<void> {
    const { queue } = hosted.definition;
    const aborted = abortion(signal);
    while (!signal.aborted) {
      if (hosted.active.size >= hosted.settings.reservedConcurrency) {
        await Promise.race([...hosted.active, aborted]);
        continue;
      }
      let messages: ReceivedMessage[];
      try {
        messages = await queue.receive(hosted.settings.batchSize);
      } catch (error) {
        // The queue's files could not be read or written (disk full, say): report, back off, try again.
        this.#onPollError?.(hosted.definition.name, error);
        await queue.waitForArrival(this.#pollIntervalMs, signal);
        continue;
      }
      if (messages.length === 0) {
        await queue.waitForArrival(this.#pollIntervalMs, signal);
        continue;
      }
      const invocation = this.#invoke(hosted, messages).finally(() => hosted.active.delete(invocation));
      hosted.active.add(invocation);
    }
  }

  async #invoke(hosted: HostedFunction, messages: ReceivedMessage[]): Promise<void> {
    const { name, queue } = hosted.definition;
    const { timeoutMs, memoryMb } = hosted.settings;
    const requestId = randomUUID();
    const startedAt = this.#clock.now();
    hosted.invocations++;
    const context = lambdaContextOf(
      {
        functionName: name,
        requestId,
        memoryMb,
        deadline: startedAt + timeoutMs,
        sandbox: hosted.invocations,
      },
      this.#placement,
      this.#clock,
    );
    const event = sqsEventOf(queue, messages, this.#placement.region);
    const ids = messages.map((m) => m.messageId);
    let failed: string[] = ids;
    let outcome: InvocationOutcome = "failed";
    let error: unknown;
    try {
      const response = await this.#runWithTimeout(hosted, event, context);
      const reported = response === TIMED_OUT ? undefined : failedIdsOf(response, ids);
      if (reported === undefined) {
        outcome = "timed-out";
        error = new InvocationTimeout(name, timeoutMs);
      } else if (reported instanceof Error) {
        error = reported;
      } else {
        failed = reported;
        outcome = failed.length === 0 ? "succeeded" : "partial";
      }
    } catch (thrown) {
      error = thrown;
    }
    const keep = new Set(failed);
    for (const message of messages) {
      try {
        if (!keep.has(message.messageId)) await queue.delete(message.receiptHandle);
        else if (outcome !== "timed-out") {
          const receives = Number(message.attributes.ApproximateReceiveCount);
          const delayMs = retryDelayOf(hosted.settings, queue, receives);
          if (delayMs !== undefined) await queue.changeVisibility(message.receiptHandle, delayMs);
        }
      } catch (deleteError) {
        // Not deleted means delivered again: at-least-once, which every handler tolerates.
        this.#onPollError?.(name, deleteError);
      }
    }
    const report: InvocationReport = {
      functionName: name,
      requestId,
      messageIds: ids,
      failedMessageIds: failed,
      outcome,
      startedAt: new Date(startedAt),
      durationMs: this.#clock.now() - startedAt,
    };
    if (error !== undefined) report.error = error;
    this.#onInvocation?.(report);
  }

  /** The handler's response, or {@link TIMED_OUT} when `timeoutMs` passes first on the host's clock. */
  async #runWithTimeout(hosted: HostedFunction, event: SQSEvent, context: Context): Promise<unknown> {
    const settled = new AbortController();
    try {
      return await Promise.race([
        Promise.resolve().then(() => hosted.handler(event, context)),
        this.#clock.sleep(hosted.settings.timeoutMs, settled.signal).then(() => TIMED_OUT),
      ]);
    } finally {
      settled.abort();
    }
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
