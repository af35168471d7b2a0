import type { Readable } from "node:stream";
import { type DatasetRegistry, formatObjectRef, QuarantineError, type SluiceEvent } from "@sluice/core";
import { publishQuarantine, type StageDeps, type StageOutcome, stageStream } from "@sluice/staging";

/** The ports and settings {@link transformObject} works with. */
export interface TransformDeps extends StageDeps {
  /** The dataset contracts; the event's dataset is looked up here. */
  registry: DatasetRegistry;
}

/**
 * The transform phase for one `sluice.object.received` event: reads the object (the exact
 * version the event names) from the store and stages it with {@link stageStream} (Parquet by
 * byte ranges, the rest as one stream). An object gone
 * from the store quarantines with the store's reason; other store errors throw for a retry.
 */
export async function transformObject(
  event: SluiceEvent<"sluice.object.received">,
  deps: TransformDeps,
): Promise<StageOutcome> {
  const contract = deps.registry.get(event.data.dataset);
  // Parquet is read footer first, by byte ranges of the same object: no body to open.
  if (contract.format.type === "parquet")
    return stageStream({ event, contract, producer: "transform" }, deps);
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
  return stageStream({ event, contract, body, producer: "transform" }, deps);
}
