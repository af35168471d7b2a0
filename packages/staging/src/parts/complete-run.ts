import { Readable } from "node:stream";
import {
  createEvent,
  type DatasetContract,
  type EventData,
  formatObjectRef,
  type ObjectStore,
  type PartManifest,
  parseStagingDocument,
  partManifestSchema,
  partsDigest,
  partsPlanSchema,
  QuarantineError,
  type Rejection,
  type RunPartsKeys,
  runPartsKeysOf,
  type SluiceEvent,
  stagingKeysOf,
} from "@sluice/core";
import { resolveStagingConfig } from "../config";
import { QUARANTINE_REASONS } from "../reasons";
import {
  badRowRatioMessage,
  exceedsBadRowRatio,
  publishQuarantine,
  publishStaged,
  type StageCounts,
  type StageDeps,
} from "../stage-stream";

type Received = EventData<"sluice.object.received">;

/** A JSON document of the staging bucket read against `schema`, or undefined when it is not there. */
async function readDocument<T>(
  store: ObjectStore,
  bucket: string,
  key: string,
  schema: Parameters<typeof parseStagingDocument<T>>[0],
): Promise<T | undefined> {
  let text = "";
  try {
    for await (const chunk of await store.get(bucket, key)) text += chunk.toString();
  } catch (error) {
    if (error instanceof QuarantineError && error.code === QUARANTINE_REASONS.notFound) return undefined;
    throw error;
  }
  const parsed = parseStagingDocument(schema, text);
  // Only staging writes these documents: one that does not parse is a bug, not bad input.
  if (!parsed.ok) throw new TypeError(`${formatObjectRef({ bucket, key })}: ${parsed.problem}`);
  return parsed.value;
}

/**
 * Quarantines a fanned-out run: marks it (`parts/quarantined.json`: parts not yet staged are
 * skipped, the loader's early start rolls back) and publishes `sluice.object.quarantined` for the
 * whole object.
 */
export async function quarantineParts(
  received: SluiceEvent<"sluice.object.received">,
  attempt: string,
  deps: StageDeps,
  details: {
    reason: string;
    message: string;
    counts: StageCounts;
    firstRejections: Rejection[];
    rejectsKey?: string;
  },
): Promise<void> {
  const { dataset, runId } = received.data;
  const marker = JSON.stringify({ runId, reason: details.reason, message: details.message });
  await deps.store.put(deps.stagingBucket, runPartsKeysOf(dataset, runId, attempt).quarantineKey, marker, {
    contentType: "application/json",
  });
  await publishQuarantine(received, "transform", deps, details);
}

/**
 * The parts' rejections joined in part order into the run's rejects object (where `sluice
 * rejects` and the dashboard read them), and the first `keep` of them for the events. Only parts
 * with rejections have a rejects object.
 */
async function joinRejects(
  parts: readonly PartManifest[],
  run: Received,
  contract: DatasetContract,
  deps: StageDeps,
  keys: RunPartsKeys,
  keep: number,
): Promise<Rejection[]> {
  const first: Rejection[] = [];
  const { store, stagingBucket } = deps;
  async function* joined() {
    for (const part of parts) {
      if (part.counts.rejected === 0) continue;
      let pending = "";
      for await (const chunk of await store.get(stagingBucket, keys.part(part.part.index).rejectsKey)) {
        if (first.length < keep) {
          pending += chunk.toString();
          const lines = pending.split("\n");
          pending = lines.pop() ?? "";
          for (const line of lines)
            if (line && first.length < keep) first.push(JSON.parse(line) as Rejection);
        }
        yield chunk as Buffer;
      }
    }
  }
  await store.put(
    stagingBucket,
    stagingKeysOf(contract.name, run.runId).rejectsKey,
    Readable.from(joined()),
    {
      contentType: "application/x-ndjson",
    },
  );
  return first;
}

/**
 * Completes a fanned-out run when every part is staged: nothing when the plan is not written yet,
 * the run is quarantined, or a part is missing (the part that finishes last completes it). Sums
 * the parts' counts and applies the contract's bad-row ratio to the whole file; joins the parts'
 * rejections into the run's rejects object; then writes the run's manifest, listing the parts
 * (their rows objects stay where they are, the loader reads them in order), and publishes
 * `sluice.object.staged` — or quarantines the run for its ratio. Two parts finishing at once may
 * both complete it: they write the same documents and the loader loads the run once.
 */
export async function completeRun(
  run: Received,
  contract: DatasetContract,
  deps: StageDeps,
  attempt: string,
): Promise<void> {
  const { store, stagingBucket } = deps;
  const keys = runPartsKeysOf(contract.name, run.runId, attempt);
  const plan = await readDocument(store, stagingBucket, keys.planKey, partsPlanSchema);
  if (plan === undefined) return;
  const prefix = keys.planKey.slice(0, keys.planKey.lastIndexOf("/") + 1);
  let staged = 0;
  for await (const head of store.list(stagingBucket, prefix)) {
    if (head.key === keys.quarantineKey) return;
    if (head.key.endsWith("/part.json")) staged++;
  }
  if (staged < plan.parts) return;
  const parts: PartManifest[] = [];
  for (let index = 0; index < plan.parts; index++) {
    const part = await readDocument(store, stagingBucket, keys.part(index).manifestKey, partManifestSchema);
    if (part === undefined) return;
    parts.push(part);
  }
  const counts = parts.reduce(
    (sum, part) => ({
      rows: sum.rows + part.counts.rows,
      staged: sum.staged + part.counts.staged,
      rejected: sum.rejected + part.counts.rejected,
    }),
    { rows: 0, staged: 0, rejected: 0 },
  );
  const config = resolveStagingConfig(deps.config);
  // Like a single pass, a run without rejections writes no rejects object.
  const firstRejections =
    counts.rejected > 0
      ? await joinRejects(parts, run, contract, deps, keys, config.firstRejectionsInEvent)
      : [];
  const received = createEvent("sluice.object.received", "sluice/transform", run);
  if (exceedsBadRowRatio(counts, contract.quarantine.maxBadRowRatio)) {
    await quarantineParts(received, attempt, deps, {
      reason: QUARANTINE_REASONS.badRowRatio,
      message: badRowRatioMessage(run.object, counts, contract.quarantine.maxBadRowRatio),
      counts,
      firstRejections,
      rejectsKey: stagingKeysOf(contract.name, run.runId).rejectsKey,
    });
    return;
  }
  await publishStaged(run, contract, deps, {
    producer: "transform",
    counts,
    rows: { sha256: partsDigest(parts), bytes: parts.reduce((sum, part) => sum + part.rowsBytes, 0) },
    parts: parts.map((part) => ({
      index: part.part.index,
      firstLine: part.part.firstLine,
      rowsKey: keys.part(part.part.index).rowsKey,
      rowsSha256: part.rowsSha256,
      rowsBytes: part.rowsBytes,
      counts: part.counts,
    })),
  });
}
