import type { Readable } from "node:stream";
import {
  type DatasetContract,
  type DatasetRegistry,
  type FanOutSettings,
  formatObjectRef,
  QuarantineError,
  type SluiceEvent,
} from "@sluice/core";
import {
  type PartOutcome,
  type PartStager,
  publishQuarantine,
  type SplitOutcome,
  type StageDeps,
  type StageOutcome,
  splitObject,
  stageRequestedPart,
  stageStream,
} from "@sluice/staging";

/** The ports and settings {@link transformObject} works with. */
export interface TransformDeps extends StageDeps {
  /** The dataset contracts; the event's dataset is looked up here. */
  registry: DatasetRegistry;
  /**
   * Whether an object of a dataset is fanned out over parts, and how (`fanOutSettingsFor`:
   * the environment's settings, the contract's override); undefined: always one pass.
   */
  fanOutFor?: (contract: DatasetContract) => FanOutSettings | undefined;
  /** Stages a requested part: in this thread by default, in a worker thread in the local runtime. */
  stagePart?: PartStager;
  /**
   * Stages an object in one pass and publishes what came of it: {@link stageOnePass} in this
   * thread by default; the local runtime runs it in a worker thread and publishes here.
   */
  stageOnePass?: OnePassStager;
}

/** Stages a received object in one pass and publishes the outcome: {@link stageOnePass}'s shape. */
export type OnePassStager = (
  event: SluiceEvent<"sluice.object.received">,
  deps: TransformDeps,
  unsplitReason?: string,
) => Promise<StageOutcome>;

/**
 * The transform phase for one `sluice.object.received` event. An object at or above its
 * dataset's fan-out threshold is split into parts (`splitObject`: each part becomes a
 * `sluice.part.requested` message of its own); otherwise, or when it cannot be split (gzip, a
 * JSON document), it is read (the exact version the event names) and staged in one pass with
 * `stageStream` (Parquet by byte ranges, the rest as one stream), which says why it was not
 * split. An object gone from the store quarantines with the store's reason; other store errors
 * throw for a retry.
 */
export async function transformObject(
  event: SluiceEvent<"sluice.object.received">,
  deps: TransformDeps,
): Promise<StageOutcome | Extract<SplitOutcome, { status: "split" }>> {
  const contract = deps.registry.get(event.data.dataset);
  const fanOut = deps.fanOutFor?.(contract);
  let unsplitReason: string | undefined;
  if (fanOut && event.data.object.size >= fanOut.minBytes) {
    const split = await splitObject(event, contract, deps, fanOut);
    if (split.status === "split") return split;
    unsplitReason = split.unsplitReason;
  }
  return (deps.stageOnePass ?? stageOnePass)(event, deps, unsplitReason);
}

/**
 * Stages a received object in one pass: reads it (the exact version the event names) and stages
 * it with `stageStream` (Parquet by byte ranges, the rest as one stream), saying why it was not
 * split when it was above the fan-out threshold; publishes the outcome.
 */
export async function stageOnePass(
  event: SluiceEvent<"sluice.object.received">,
  deps: TransformDeps,
  unsplitReason?: string,
): Promise<StageOutcome> {
  const contract = deps.registry.get(event.data.dataset);
  const params = {
    event,
    contract,
    producer: "transform" as const,
    ...(unsplitReason ? { unsplitReason } : {}),
  };
  // Parquet is read footer first, by byte ranges of the same object: no body to open.
  if (contract.format.type === "parquet") return stageStream(params, deps);
  const { bucket, key, versionId } = event.data.object;
  let body: Readable;
  try {
    body = await deps.store.get(bucket, key, versionId ? { versionId } : {});
  } catch (error) {
    if (!(error instanceof QuarantineError)) throw error;
    deps.logger.warn("object quarantined", {
      runId: event.data.runId,
      reason: error.code,
      message: error.message,
    });
    return publishQuarantine(event, "transform", deps, {
      reason: error.code,
      message: `${formatObjectRef(event.data.object)}: ${error.message}`,
      firstRejections: [],
    });
  }
  return stageStream({ ...params, body }, deps);
}

/** The transform phase for one `sluice.part.requested` event: stages that part (`stageRequestedPart`). */
export async function transformPart(
  event: SluiceEvent<"sluice.part.requested">,
  deps: TransformDeps,
): Promise<PartOutcome | undefined> {
  const contract = deps.registry.get(event.data.dataset);
  return stageRequestedPart(event, contract, deps, deps.stagePart);
}
