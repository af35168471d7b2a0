import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { SluiceEvent } from "@sluice/core";
import { type PartStager, type StagingConfig, stagePart } from "@sluice/staging";
import { type OnePassStager, stageOnePass } from "@sluice/transform";
import { Piscina } from "piscina";
import type { ObjectTask, ObjectTaskResult, PartTask } from "./transform-worker";

/**
 * Each worker's V8 heap is bounded about as a 256 MB Lambda's is (its Node runtime gives old space
 * 90% of the memory, and a semi-space a twentieth: the young generation is three of them): a
 * worker holds what one transform invocation holds, so the pool's memory grows with its workers,
 * not with the object.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 230, maxYoungGenerationSizeMb: 39 };

/** What the pool's workers need to find the contracts and the store. */
export interface TransformWorkersOptions {
  workers: number;
  contractsDir: string;
  bucketsDir: string;
  fsync: boolean;
  logLevel: string;
  /** gzip level of the staged rows (the local runtime's `stagingGzipLevel`). */
  gzipLevel: number;
  /** The bundled worker (`dist/transform-worker.cjs`); default: found beside the CLI's bundle. */
  script?: string;
}

/**
 * The local transform's pool of worker threads: in AWS each object, and each part of a fanned-out
 * one, is an invocation of its own; here its CPU work (parse, validate, gzip) runs in one of
 * `workers` threads ([Piscina](https://github.com/piscinajs/piscina)) while the main thread
 * keeps the queues, the bus and the loader going, and publishes what the workers came to.
 * Without a built worker script (sources run before `pnpm build`) everything is staged in the
 * main thread, and {@link threaded} says so.
 */
export class TransformWorkers {
  readonly #pool: Piscina | undefined;
  readonly #options: TransformWorkersOptions;

  constructor(options: TransformWorkersOptions) {
    this.#options = options;
    const script = options.script ?? findTransformWorkerScript();
    this.#pool =
      script === undefined
        ? undefined
        : new Piscina({
            filename: script,
            minThreads: 0,
            maxThreads: options.workers,
            idleTimeout: 5_000,
            resourceLimits: WORKER_LIMITS,
          });
  }

  /** True when parts run in worker threads. */
  get threaded(): boolean {
    return this.#pool !== undefined;
  }

  /** The transform's `stagePart`: the part staged in a worker thread (or here, without one). */
  readonly stage: PartStager = async (params, deps) => {
    if (!this.#pool) return stagePart(params, this.#withLevel(deps));
    const task: PartTask = {
      kind: "part",
      ...this.#place(params.event, deps.stagingBucket),
      part: params.part,
      attempt: params.attempt,
    };
    return this.#pool.run(task);
  };

  /**
   * The transform's `stageOnePass`: the object staged in a worker thread, the events it came to
   * published here through `deps.publisher` (or all of it here, without workers).
   */
  readonly stageOnePass: OnePassStager = async (event, deps, unsplitReason) => {
    if (!this.#pool) return stageOnePass(event, this.#withLevel(deps), unsplitReason);
    const task: ObjectTask = {
      kind: "object",
      ...this.#place(event, deps.stagingBucket),
      ...(unsplitReason ? { unsplitReason } : {}),
    };
    const { outcome, events } = (await this.#pool.run(task)) as ObjectTaskResult;
    for (const published of events) await deps.publisher.publish(published);
    return outcome;
  };

  #place(event: SluiceEvent, stagingBucket: string) {
    return {
      event: JSON.stringify(event),
      contractsDir: this.#options.contractsDir,
      bucketsDir: this.#options.bucketsDir,
      stagingBucket,
      fsync: this.#options.fsync,
      logLevel: this.#options.logLevel,
      gzipLevel: this.#options.gzipLevel,
    };
  }

  #withLevel<T extends { config?: Partial<StagingConfig> }>(deps: T): T {
    return { ...deps, config: { ...deps.config, gzipLevel: this.#options.gzipLevel } };
  }

  /** Stops the workers (after the tasks under way). */
  async close(): Promise<void> {
    await this.#pool?.close();
  }
}

/**
 * `dist/transform-worker.cjs`, found by walking up from this file: beside the CLI's bundle when it
 * runs from `apps/cli/dist`, in `apps/cli/dist` when it runs from the sources; undefined when
 * it has not been built.
 */
function findTransformWorkerScript(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "transform-worker.cjs"), join(dir, "dist", "transform-worker.cjs")])
      if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
