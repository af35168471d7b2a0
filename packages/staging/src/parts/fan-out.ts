import {
  createEvent,
  type DatasetContract,
  type FanOutSettings,
  formatObjectRef,
  runPartsKeysOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { objectBytesFromStore } from "../parse/parquet";
import type { StageDeps } from "../stage-stream";
import { completeRun, quarantineParts } from "./complete-run";
import { planParts } from "./plan";
import { type PartOutcome, stagePart } from "./stage-part";

/**
 * Stages one part: {@link stagePart} in this thread by default; the local runtime hands it to a
 * worker thread instead, so parts of one object use every core.
 */
export type PartStager = typeof stagePart;

/** What {@link splitObject} did: the parts it asked for, or why the object is staged in one pass. */
export type SplitOutcome =
  | { status: "split"; parts: number }
  | { status: "one-pass"; unsplitReason?: string };

const SOURCE = "sluice/transform";

/**
 * Fans a received object out over parts, or says why it cannot be: cuts it with `planParts` and,
 * as the pre-scan finds each part, publishes `sluice.part.requested` for it (the transform queue
 * hands each to an invocation of its own; a failed part retries alone). `sluice.object.split`
 * goes first, so the loader can start the run's load and copy parts as they are staged. Once
 * the pre-scan has found every part it writes the plan (`parts/<attempt>/plan.json`; the attempt is
 * this event's id, so a replay never mixes with an earlier attempt's parts): from then on the
 * part that finishes last completes the run (`completeRun`), which is also tried here in case
 * every part was staged before the plan was written. A retry (the message redelivered after a
 * crash) asks for the same parts again: each is staged to the same keys.
 */
export async function splitObject(
  event: SluiceEvent<"sluice.object.received">,
  contract: DatasetContract,
  deps: StageDeps,
  settings: FanOutSettings,
): Promise<SplitOutcome> {
  const { runId, object } = event.data;
  const attempt = event.id;
  let split = false;
  const plan = await planParts(objectBytesFromStore(deps.store, object), contract.format, {
    partBytes: settings.partBytes,
    ...(deps.config ? { config: deps.config } : {}),
    onSplit: async () => {
      split = true;
      const staged = { bucket: deps.stagingBucket, ...stagingKeysOf(contract.name, runId) };
      await deps.publisher.publish(
        createEvent("sluice.object.split", SOURCE, {
          ...event.data,
          staged,
          attempt,
          partBytes: settings.partBytes,
        }),
      );
    },
    onPart: async (part, last) => {
      await deps.publisher.publish(
        createEvent("sluice.part.requested", SOURCE, { ...event.data, part, attempt, last }),
      );
    },
  });
  if (!split)
    return { status: "one-pass", ...(plan.unsplitReason ? { unsplitReason: plan.unsplitReason } : {}) };
  const keys = runPartsKeysOf(contract.name, runId, attempt);
  const document = { runId, parts: plan.parts.length, partBytes: settings.partBytes };
  await deps.store.put(deps.stagingBucket, keys.planKey, JSON.stringify(document), {
    contentType: "application/json",
  });
  deps.logger.info("object split", { runId, object: formatObjectRef(object), parts: plan.parts.length });
  await completeRun(event.data, contract, deps, attempt);
  return { status: "split", parts: plan.parts.length };
}

/**
 * Stages the part a `sluice.part.requested` event asks for (with `stage`: in this thread, or a
 * worker's), then publishes `sluice.part.staged` and tries to complete the run. A part whose
 * content can never load quarantines the whole run (the single pass would have); a part of a run
 * already quarantined is not staged at all. Store and publisher failures throw: the part's
 * message is retried alone.
 */
export async function stageRequestedPart(
  event: SluiceEvent<"sluice.part.requested">,
  contract: DatasetContract,
  deps: StageDeps,
  stage: PartStager = stagePart,
): Promise<PartOutcome | undefined> {
  const { part, attempt, last: _last, ...received } = event.data;
  const keys = runPartsKeysOf(contract.name, received.runId, attempt);
  const context = { runId: received.runId, object: formatObjectRef(received.object), part: part.index };
  if (await deps.store.head(deps.stagingBucket, keys.quarantineKey)) {
    deps.logger.info("part skipped: its run is quarantined", context);
    return undefined;
  }
  const receivedEvent = createEvent("sluice.object.received", SOURCE, received, { id: event.id });
  const outcome = await stage({ event: receivedEvent, contract, part, attempt, producer: "transform" }, deps);
  if (outcome.status === "quarantined") {
    deps.logger.warn("object quarantined", { ...context, reason: outcome.reason, message: outcome.message });
    await quarantineParts(receivedEvent, attempt, deps, {
      reason: outcome.reason,
      message: `${formatObjectRef(received.object)}: ${outcome.message}`,
      counts: outcome.counts,
      firstRejections: outcome.firstRejections,
    });
    return outcome;
  }
  const { runId, object, dataset, route } = received;
  await deps.publisher.publish(
    createEvent("sluice.part.staged", SOURCE, {
      runId,
      object,
      dataset,
      route,
      part,
      counts: outcome.manifest.counts,
    }),
  );
  await completeRun(received, contract, deps, attempt);
  return outcome;
}
