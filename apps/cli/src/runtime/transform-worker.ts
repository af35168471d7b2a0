/**
 * The worker thread of the local transform's pool (`TransformWorkers`): stages one part of a
 * fanned-out object with staging's `stagePart`, or a whole object in one pass with the
 * transform's `stageOnePass`, reading and writing the local store's directories as the main
 * thread does. It publishes nothing: what came of it goes back to the main thread, which
 * publishes. Bundled as `dist/transform-worker.cjs`; Piscina calls the default export with each task.
 */
import {
  createLogger,
  type DatasetRegistry,
  type EventPublisher,
  parseEvent,
  type SluiceEvent,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { LocalObjectStore } from "@sluice/local";
import { type ObjectPart, type PartOutcome, type StageOutcome, stagePart } from "@sluice/staging";
import { stageOnePass } from "@sluice/transform";

/** Where a task's contracts and store are, and how it logs. */
interface TaskPlace {
  /** The run's `sluice.object.received` event (JSON). */
  event: string;
  contractsDir: string;
  /** The local store's root (every bucket a directory under it). */
  bucketsDir: string;
  stagingBucket: string;
  fsync: boolean;
  logLevel: string;
  /** gzip level of the staged rows. */
  gzipLevel: number;
}

/** One part to stage, as plain data a worker can be sent. */
export interface PartTask extends TaskPlace {
  kind: "part";
  part: ObjectPart;
  /** The attempt the part belongs to (its keys' prefix). */
  attempt: string;
}

/** One object to stage in one pass. */
export interface ObjectTask extends TaskPlace {
  kind: "object";
  unsplitReason?: string;
}

/** What staging an object in one pass came to, and the events the main thread is to publish. */
export interface ObjectTaskResult {
  outcome: StageOutcome;
  events: SluiceEvent[];
}

const registries = new Map<string, DatasetRegistry>();
const stores = new Map<string, LocalObjectStore>();

/** The registry and store of `task`, made once per worker. */
function placeOf(task: TaskPlace) {
  const registry = registries.get(task.contractsDir) ?? loadRegistry(task.contractsDir);
  registries.set(task.contractsDir, registry);
  const storeKey = `${task.bucketsDir}\u0000${task.fsync}`;
  const store = stores.get(storeKey) ?? new LocalObjectStore({ rootDir: task.bucketsDir, fsync: task.fsync });
  stores.set(storeKey, store);
  const logger = createLogger("transform", { level: task.logLevel, stderr: true });
  return { registry, store, logger, config: { gzipLevel: task.gzipLevel } };
}

/** Stages `task`'s part or object; what came of it goes back to the main thread. */
export default async function stageTask(
  task: PartTask | ObjectTask,
): Promise<PartOutcome | ObjectTaskResult> {
  const { registry, store, logger, config } = placeOf(task);
  const event = parseEvent(task.event, "sluice.object.received");
  if (task.kind === "object") {
    const events: SluiceEvent[] = [];
    const collect: EventPublisher = { publish: async (published) => void events.push(published) };
    const deps = { store, registry, stagingBucket: task.stagingBucket, publisher: collect, logger, config };
    const outcome = await stageOnePass(event, deps, task.unsplitReason);
    return { outcome, events };
  }
  const refuse: EventPublisher = {
    publish: async (published) => {
      throw new Error(`staging a part publishes nothing (${published.type})`);
    },
  };
  return stagePart(
    {
      event,
      contract: registry.get(event.data.dataset),
      part: task.part,
      attempt: task.attempt,
      producer: "transform",
    },
    { store, stagingBucket: task.stagingBucket, publisher: refuse, logger, config },
  );
}
