import {
  ContractError,
  type PartManifest,
  type Rejection,
  runPartsKeysOf,
  type StagingKeys,
} from "@sluice/core";
import { type StagedContent, stageContent } from "../stage-content";
import type { StageCounts, StageDeps, StageParams } from "../stage-stream";
import type { ObjectPart } from "./part";

/**
 * What staging one part came to. Nothing is published and no bad-row ratio applied: both are the
 * whole run's, decided once every part is in (sum the counts, then `exceedsBadRowRatio`).
 */
export type PartOutcome =
  | { status: "staged"; keys: StagingKeys; manifest: PartManifest }
  | {
      status: "quarantined";
      /** A `QUARANTINE_REASONS` value: the whole run is quarantined for it. */
      reason: string;
      message: string;
      counts: StageCounts;
      firstRejections: Rejection[];
    };

/**
 * Stages one part of an object (`planParts`) with the pipeline of `stageStream`: its byte range
 * (or row groups) read by ranged GETs of the event's object (or from `body`, the part's bytes),
 * its rows and rejections at the whole object's lines, written under `runPartsKeysOf(…).part(index)`;
 * its `PartManifest` last. A part is staged alone and retried alone: a retry overwrites the
 * same keys. Content that can never load comes back quarantined (nothing published); store
 * failures throw.
 */
export async function stagePart(
  params: StageParams & { part: ObjectPart; attempt: string },
  deps: StageDeps,
): Promise<PartOutcome> {
  const { event, contract, part, attempt } = params;
  if (event.data.dataset !== contract.name) {
    throw new ContractError(`event is for dataset ${event.data.dataset}, contract is ${contract.name}`, {
      dataset: event.data.dataset,
      contract: contract.name,
    });
  }
  const keys = runPartsKeysOf(contract.name, event.data.runId, attempt).part(part.index);
  const content: StagedContent = await stageContent(params, deps, keys);
  if (content.quarantine) {
    const { code, message } = content.quarantine;
    return {
      status: "quarantined",
      reason: code,
      message,
      counts: content.counts,
      firstRejections: content.firstRejections,
    };
  }
  const manifest: PartManifest = {
    runId: event.data.runId,
    part,
    counts: content.counts,
    rowsSha256: content.rows.sha256,
    rowsBytes: content.rows.bytes,
  };
  await deps.store.put(deps.stagingBucket, keys.manifestKey, JSON.stringify(manifest), {
    contentType: "application/json",
  });
  return { status: "staged", keys, manifest };
}
