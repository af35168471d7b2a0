import type { Readable } from "node:stream";
import {
  ContractError,
  contractFingerprint,
  createEvent,
  type DatasetContract,
  type EventData,
  type EventPublisher,
  type FormatSpec,
  formatObjectRef,
  formatStagingManifest,
  type Logger,
  type ObjectRef,
  type ObjectStore,
  type Rejection,
  type SluiceEvent,
  type StagingKeys,
  type StagingManifest,
  stagedColumnsOf,
  stagingKeysOf,
} from "@sluice/core";
import type { StagingConfig } from "./config";
import type { ObjectBytes } from "./parse/parquet";
import type { ObjectPart } from "./parts/part";
import { QUARANTINE_REASONS } from "./reasons";
import { stageContent } from "./stage-content";

/** Which phase made a run's staged outputs; the loader cannot tell them apart otherwise. */
export type Producer = "transform" | "legacy-wrapper";

/** What {@link stageStream} stages and from what. */
export interface StageParams {
  /** The `sluice.object.received` event of the run. */
  event: SluiceEvent<"sluice.object.received">;
  /** The dataset contract rows are validated against. */
  contract: DatasetContract;
  /**
   * The object's content (gzip or not: it is detected by its magic bytes). Parquet, read footer
   * first, ignores it and reads `bytes` instead; without a body a text format opens the object
   * (the event's version) from `deps.store`.
   */
  body?: Readable;
  /** Random access to the object, for Parquet; default: ranged GETs of the event's object from `deps.store`. */
  bytes?: ObjectBytes;
  /** Parses `body` in this format instead of the contract's (the legacy program writes CSV). */
  format?: FormatSpec;
  /**
   * The column (CSV header name, JSON member) holding each record's line in the original object,
   * e.g. the legacy program's `_sluice_line`: rows and rejections are named by it, not by their
   * place in `body`.
   */
  lineColumn?: string;
  /**
   * The manifest's `contractHash`: `contractFingerprint` of the deployed contract. Defaults to
   * `contract`'s; a producer staging under a contract derived from the deployed one (the legacy
   * wrapper reads its program's output by field name) passes the deployed contract's.
   */
  contractHash?: string;
  /**
   * Stage only this part of the object (`planParts`): its byte range (or Parquet row groups),
   * its lines counted from its `firstLine`, a CSV part read by the object's header. `body`, when
   * given, is the part's bytes. Used by `stagePart`; the single pass is the same code without it.
   */
  part?: ObjectPart;
  producer: Producer;
  /** Why an object above the fan-out threshold is staged in one pass (`planParts`): said in `sluice.object.staged`. */
  unsplitReason?: string;
}

/** The ports and settings {@link stageStream} works with. */
export interface StageDeps {
  store: ObjectStore;
  /** Bucket the rows, rejects and manifest are written to. */
  stagingBucket: string;
  publisher: EventPublisher;
  logger: Logger;
  config?: Partial<StagingConfig>;
  /** The time stamped on the manifest and events (tests pin it). */
  clock?: () => Date;
}

/** Row counts of a run: `rows` counts every data record (header and blank lines excluded). */
export interface StageCounts {
  rows: number;
  staged: number;
  rejected: number;
}

/** What staging one object ended in; the matching event has been published. */
export type StageOutcome =
  | {
      status: "staged";
      keys: StagingKeys;
      manifest: StagingManifest;
      event: SluiceEvent<"sluice.object.staged">;
    }
  | {
      status: "quarantined";
      reason: string;
      counts: StageCounts;
      event: SluiceEvent<"sluice.object.quarantined">;
    };

/**
 * True when a run with these counts exceeds the contract's bad-row ratio: rejected / rows
 * strictly greater than `maxBadRowRatio`, where rows = staged + rejected. An object with no data
 * rows is never over the ratio (an empty export stages empty); with a ratio of 0, one rejected
 * row is too many; with 1, no ratio quarantines.
 */
export function exceedsBadRowRatio(counts: StageCounts, maxBadRowRatio: number): boolean {
  return counts.rows > 0 && counts.rejected / counts.rows > maxBadRowRatio;
}

/** The event `source` of a producer. */
function sourceOf(producer: Producer): string {
  return `sluice/${producer}`;
}

/**
 * Stages one object's content: streams `body` (gunzipped when its first bytes say gzip), checks
 * it is strict UTF-8, parses it in the contract's format (or `format`), validates each row, and
 * writes, at keys addressed by the run id, the valid rows (gzip CSV in COPY form, each led by the
 * physical line its record starts on; SHA-256 taken on the way), the rejections (NDJSON) and,
 * last, the manifest (with the contract's fingerprint); then publishes `sluice.object.staged`.
 * Memory stays bounded: every stage streams with backpressure.
 *
 * Content that can never load (not UTF-8, a binary format, a header without a required column,
 * CSV that does not parse, too many rejected rows) publishes `sluice.object.quarantined` with the
 * reason instead, and writes no manifest. Store and publisher failures throw, so the message is
 * retried; a retry overwrites the same keys. The legacy wrapper calls this too, so the loader
 * cannot tell which phase staged a run.
 */
export async function stageStream(params: StageParams, deps: StageDeps): Promise<StageOutcome> {
  const { event, contract, producer } = params;
  const { runId, object } = event.data;
  if (event.data.dataset !== contract.name) {
    throw new ContractError(`event is for dataset ${event.data.dataset}, contract is ${contract.name}`, {
      dataset: event.data.dataset,
      contract: contract.name,
    });
  }
  const keys = stagingKeysOf(contract.name, runId);
  const context = { runId, dataset: contract.name, object: formatObjectRef(object), producer };
  const content = await stageContent(params, deps, keys);
  if (content.quarantine) {
    const error = content.quarantine;
    deps.logger.warn("object quarantined", { ...context, reason: error.code, message: error.message });
    return publishQuarantine(event, producer, deps, {
      reason: error.code,
      message: `${formatObjectRef(object)}: ${error.message}`,
      counts: content.counts,
      firstRejections: content.firstRejections,
    });
  }
  const { rows } = content;
  const finalCounts = content.counts;
  if (exceedsBadRowRatio(finalCounts, contract.quarantine.maxBadRowRatio)) {
    const message = badRowRatioMessage(object, finalCounts, contract.quarantine.maxBadRowRatio);
    deps.logger.warn("object quarantined", {
      ...context,
      reason: QUARANTINE_REASONS.badRowRatio,
      ...finalCounts,
    });
    return publishQuarantine(event, producer, deps, {
      reason: QUARANTINE_REASONS.badRowRatio,
      message,
      counts: finalCounts,
      firstRejections: content.firstRejections,
      rejectsKey: keys.rejectsKey,
    });
  }

  const { manifest, event: staged } = await publishStaged(event.data, contract, deps, {
    producer,
    counts: finalCounts,
    rows,
    ...(params.contractHash ? { contractHash: params.contractHash } : {}),
    ...(params.unsplitReason ? { unsplitReason: params.unsplitReason } : {}),
  });
  return { status: "staged", keys, manifest, event: staged };
}

/**
 * Why a run over its contract's bad-row ratio is quarantined: `<object>: 40 of 400 rows rejected
 * (10.00%), over the contract's limit of 5.00%`.
 */
export function badRowRatioMessage(object: ObjectRef, counts: StageCounts, maxBadRowRatio: number): string {
  const ratio = counts.rejected / counts.rows;
  return (
    `${formatObjectRef(object)}: ${counts.rejected} of ${counts.rows} rows rejected ` +
    `(${(ratio * 100).toFixed(2)}%), over the contract's limit of ${(maxBadRowRatio * 100).toFixed(2)}%`
  );
}

/**
 * Completes a staged run: writes its manifest (with the contract's fingerprint, or
 * `contractHash`), last, since its presence says the rows and rejects are complete, then publishes
 * `sluice.object.staged`. {@link stageStream} calls it for an object staged in one pass, and
 * `completeRun` for one fanned out over `parts` (their rows objects listed in the manifest).
 */
export async function publishStaged(
  run: EventData<"sluice.object.received">,
  contract: DatasetContract,
  deps: StageDeps,
  details: {
    producer: Producer;
    counts: StageCounts;
    /** The run's rows object's digest and size (a fanned-out run: `partsDigest` and the sum). */
    rows: { sha256: string; bytes: number };
    contractHash?: string;
    parts?: NonNullable<StagingManifest["parts"]>;
    unsplitReason?: string;
  },
): Promise<{ manifest: StagingManifest; event: SluiceEvent<"sluice.object.staged"> }> {
  const { runId, object, route } = run;
  const keys = stagingKeysOf(contract.name, runId);
  const clock = deps.clock ?? (() => new Date());
  const manifest: StagingManifest = {
    runId,
    dataset: contract.name,
    contractVersion: contract.version,
    contractHash: details.contractHash ?? contractFingerprint(contract),
    object,
    route,
    producer: details.producer,
    columns: stagedColumnsOf(contract),
    format: "csv+gzip",
    counts: details.counts,
    ...(details.parts ? { parts: details.parts } : {}),
    rowsSha256: details.rows.sha256,
    rowsBytes: details.rows.bytes,
    createdAt: clock().toISOString(),
  };
  await deps.store.put(deps.stagingBucket, keys.manifestKey, formatStagingManifest(manifest), {
    contentType: "application/json",
  });
  const event = createEvent(
    "sluice.object.staged",
    sourceOf(details.producer),
    {
      runId,
      object,
      dataset: contract.name,
      contractVersion: contract.version,
      route,
      staged: { bucket: deps.stagingBucket, ...keys },
      counts: details.counts,
      ...(details.parts ? { parts: details.parts.length } : {}),
      ...(details.unsplitReason ? { unsplitReason: details.unsplitReason } : {}),
    },
    { time: clock() },
  );
  await deps.publisher.publish(event);
  deps.logger.info("object staged", {
    runId,
    dataset: contract.name,
    object: formatObjectRef(object),
    producer: details.producer,
    ...details.counts,
    rowsBytes: details.rows.bytes,
    ...(details.parts ? { parts: details.parts.length } : {}),
  });
  return { manifest, event };
}

/**
 * Publishes `sluice.object.quarantined` for a received object whose content can never load, and
 * returns the outcome that says so. {@link stageStream} calls it; a producer calls it itself
 * for an object it cannot even read (e.g. gone from the raw bucket).
 */
export async function publishQuarantine(
  received: SluiceEvent<"sluice.object.received">,
  producer: Producer,
  deps: Pick<StageDeps, "publisher" | "clock">,
  details: {
    reason: string;
    message: string;
    counts?: StageCounts;
    firstRejections: Rejection[];
    rejectsKey?: string;
  },
): Promise<Extract<StageOutcome, { status: "quarantined" }>> {
  const { runId, object, dataset, route } = received.data;
  const clock = deps.clock ?? (() => new Date());
  const counts = details.counts ?? { rows: 0, staged: 0, rejected: 0 };
  const event = createEvent(
    "sluice.object.quarantined",
    sourceOf(producer),
    {
      runId,
      object,
      dataset,
      route,
      reason: details.reason,
      message: details.message,
      counts,
      firstRejections: details.firstRejections,
      ...(details.rejectsKey ? { rejectsKey: details.rejectsKey } : {}),
    },
    { time: clock() },
  );
  await deps.publisher.publish(event);
  return { status: "quarantined", reason: details.reason, counts, event };
}
