/**
 * The worker thread of the local transform's part pool (`PartWorkers`): stages one part of a
 * fanned-out object with staging's own `stagePart`, reading and writing the local store's
 * directories as the main thread does. Bundled as `dist/part-worker.cjs`; Piscina calls the
 * default export with each task.
 */
import { createLogger, type DatasetRegistry, type EventPublisher, parseEvent } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { LocalObjectStore } from "@sluice/local";
import { type ObjectPart, type PartOutcome, stagePart } from "@sluice/staging";

/** One part to stage, as plain data a worker can be sent. */
export interface PartTask {
  /** The run's `sluice.object.received` event (JSON). */
  event: string;
  part: ObjectPart;
  /** The attempt the part belongs to (its keys' prefix). */
  attempt: string;
  contractsDir: string;
  /** The local store's root (every bucket a directory under it). */
  bucketsDir: string;
  stagingBucket: string;
  fsync: boolean;
  logLevel: string;
}

const registries = new Map<string, DatasetRegistry>();
const stores = new Map<string, LocalObjectStore>();

/** Staging a part publishes nothing: the main thread publishes what came of it. */
const NO_PUBLISHING: EventPublisher = {
  publish: async (event) => {
    throw new Error(`a part worker does not publish (${event.type})`);
  },
};

/** Stages `task`'s part; what came of it goes back to the main thread. */
export default async function stagePartTask(task: PartTask): Promise<PartOutcome> {
  const registry = registries.get(task.contractsDir) ?? loadRegistry(task.contractsDir);
  registries.set(task.contractsDir, registry);
  const storeKey = `${task.bucketsDir}\u0000${task.fsync}`;
  const store = stores.get(storeKey) ?? new LocalObjectStore({ rootDir: task.bucketsDir, fsync: task.fsync });
  stores.set(storeKey, store);
  const event = parseEvent(task.event, "sluice.object.received");
  return stagePart(
    {
      event,
      contract: registry.get(event.data.dataset),
      part: task.part,
      attempt: task.attempt,
      producer: "transform",
    },
    {
      store,
      stagingBucket: task.stagingBucket,
      publisher: NO_PUBLISHING,
      logger: createLogger("transform", { level: task.logLevel }),
    },
  );
}
