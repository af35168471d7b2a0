import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { type PartStager, stagePart } from "@sluice/staging";
import { Piscina } from "piscina";
import type { PartTask } from "./part-worker";

/**
 * Each worker's V8 heap is bounded about as a 256 MB Lambda's is (its Node runtime gives old space
 * 90% of the memory, and a semi-space a twentieth: the young generation is three of them): a
 * worker holds what one transform invocation holds, so the pool's memory grows with its workers,
 * not with the object.
 */
const WORKER_LIMITS = { maxOldGenerationSizeMb: 230, maxYoungGenerationSizeMb: 39 };

/** What the pool's workers need to find the contracts and the store. */
export interface PartWorkersOptions {
  workers: number;
  contractsDir: string;
  bucketsDir: string;
  fsync: boolean;
  logLevel: string;
  /** The bundled worker (`dist/part-worker.cjs`); default: found beside the CLI's bundle. */
  script?: string;
}

/**
 * The local transform's pool of worker threads for the parts of fanned-out objects: in AWS each
 * part is an invocation of its own; here a part's CPU work (parse, validate, gzip) runs in one
 * of `workers` threads ([Piscina](https://github.com/piscinajs/piscina)) while the main thread
 * keeps the queues, the bus and the loader going. Without a built worker script (sources run
 * before `pnpm build`) parts are staged in the main thread, one at a time, and {@link threaded}
 * says so.
 */
export class PartWorkers {
  readonly #pool: Piscina | undefined;
  readonly #options: PartWorkersOptions;

  constructor(options: PartWorkersOptions) {
    this.#options = options;
    const script = options.script ?? findPartWorkerScript();
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
    if (!this.#pool) return stagePart(params, deps);
    const task: PartTask = {
      event: JSON.stringify(params.event),
      part: params.part,
      attempt: params.attempt,
      contractsDir: this.#options.contractsDir,
      bucketsDir: this.#options.bucketsDir,
      stagingBucket: deps.stagingBucket,
      fsync: this.#options.fsync,
      logLevel: this.#options.logLevel,
    };
    return this.#pool.run(task);
  };

  /** Stops the workers (after the tasks under way). */
  async close(): Promise<void> {
    await this.#pool?.close();
  }
}

/**
 * `dist/part-worker.cjs`, found by walking up from this file: beside the CLI's bundle when it
 * runs from `apps/cli/dist`, in `apps/cli/dist` when it runs from the sources; undefined when
 * it has not been built.
 */
function findPartWorkerScript(): string | undefined {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, "part-worker.cjs"), join(dir, "dist", "part-worker.cjs")])
      if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}
