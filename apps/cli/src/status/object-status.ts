import {
  DatabaseUnavailableError,
  type EventData,
  isRetryingFailure,
  type LoadTarget,
  type Route,
  type SluiceEvent,
} from "@sluice/core";
import type { JournalEntry } from "@sluice/local";
import type { RunState } from "./run-states";
import { type LedgerView, readLedgerViews, runsInMessage } from "./status-inputs";

export type { RunState } from "./run-states";

/** The name of the loader's rejects file beside a run's staged files (`apps/loader` load-rejects.ts). */
export const LOAD_REJECTS_FILE = "load-rejects.ndjson";

/**
 * States that need a person (or a replay / redrive). Not `retrying`: a failed attempt the runtime
 * starts again by itself (its failure event says `nextAttempt`: a container task killed, stopped or
 * reporting a transient failure) needs no one until its last attempt fails.
 */
export const BAD_STATES: ReadonlySet<RunState> = new Set(["quarantined", "failed", "dead-lettered"]);

/** The steps whose events status reads, one per event type. */
type Step = Exclude<RunState, "dead-lettered" | "retrying">;

/** One run's lifecycle: one version of one object, from received to loaded (or parked). */
export interface RunStatus {
  runId: string;
  bucket: string;
  key: string;
  dataset?: string;
  route?: Route;
  /** The outcome of the run's latest attempt (a replay or redelivery is a new attempt). */
  state: RunState;
  /** Why it is quarantined, failed, retrying or dead-lettered. */
  reason?: string;
  message?: string;
  /**
   * When the latest attempt did not load: the run whose rows are in the table from an earlier
   * load — this run (loaded, then replayed under a changed contract) or an earlier run of the
   * same object.
   */
  earlierLoadedRunId?: string;
  rows?: { total: number; staged: number; rejected: number };
  load?: LoadView;
  /**
   * The loader's rejections of the latest attempt (`load-rejects.ndjson` in the staging bucket),
   * when it rejected rows; the transform's are always at the run's `rejects.ndjson`.
   */
  loadRejectsKey?: string;
  /** What `sluice unload` took out. */
  unload?: { table: string; deleted: number };
  /** The ledger's row for the run, when the database was readable. */
  ledger?: LedgerView;
  /** Messages of this run sitting in dead-letter queues now. */
  deadLetters: { queue: string; messageId: string; receiveCount: number }[];
  firstRejections?: EventData<"sluice.object.quarantined">["firstRejections"];
  /** When each step's event was published (the latest of each). */
  times: Partial<Record<Step, string>>;
  /**
   * A run fanned out over parts: how many the transform has asked for so far (`total` once the
   * plan is complete) and how many are staged. `unsplitReason`: why an object above the fan-out
   * threshold was staged in one pass all the same (gzip cannot be split by byte range).
   */
  parts?: { requested: number; staged: number; total?: number };
  unsplitReason?: string;
  /** Milliseconds spent staging (received → staged/quarantined) and loading (staged → loaded). */
  durations: { stageMs?: number; loadMs?: number };
}

/** What the latest load of a run did, as its `sluice.object.loaded` event says. */
export interface LoadView {
  table: string;
  inserted: number;
  updated: number;
  unchanged: number;
  alreadyLoaded: boolean;
  /** Keyed rows removed (`deleteWhen`) or, for an append reload, the run's earlier rows. */
  deleted: number;
  /** Rows whose key repeated an earlier row of the file, whatever the policy made of them. */
  repeats: number;
  /** Rows the loader rejected (repeats under `onDuplicateKey: reject`, rows the table refused). */
  rejected: number;
  /** Loaded again because the contract changed since the earlier load. */
  reloaded: boolean;
  /** Why this delivery put nothing in on purpose (e.g. an older `replace` snapshot). */
  skipped?: { reason: string; message: string };
}

/** A message parked in a dead-letter queue (a local queue's stored message, or one peeked from SQS). */
export interface DeadLetterRecord {
  messageId: string;
  body: string;
  receiveCount: number;
  /** Epoch ms the message was first sent. */
  sentTimestamp: number;
}

/** A dead-letter queue status can look into: the local runtime's queue or `@sluice/aws`'s SQS one. */
export interface DeadLetterSource {
  /** As people see it, e.g. `loader-dlq` (the same name locally and, found by prefix, in AWS). */
  readonly name: string;
  messages(): Promise<DeadLetterRecord[]>;
}

/** What status is computed from: data a deployed environment has too. */
export interface StatusSources {
  /** The events archive, oldest first. */
  events: AsyncIterable<JournalEntry> | Iterable<JournalEntry>;
  /** The database the loader writes its ledger to (omitted when it cannot be opened). */
  target?: LoadTarget;
  /** Schema of the loader's ledger table. */
  ledgerSchema?: string;
  /** The dead-letter queues to look into. */
  deadLetterQueues?: readonly DeadLetterSource[];
  /** Only events published at or after this ISO time. */
  since?: string;
  /**
   * Told when the database cannot be reached: status then goes on without the ledger (events and
   * DLQs only) instead of failing, since the database being down is when status is needed most.
   */
  onLedgerUnavailable?: (error: DatabaseUnavailableError) => void;
}

/** The step of each event type that moves a run on; a fanned-out run's part events do not. */
const STEP_OF: Record<SluiceEvent["type"], Step | undefined> = {
  "sluice.object.received": "received",
  "sluice.object.staged": "staged",
  "sluice.object.loaded": "loaded",
  "sluice.object.quarantined": "quarantined",
  "sluice.object.failed": "failed",
  "sluice.object.unloaded": "unloaded",
  "sluice.object.split": undefined,
  "sluice.part.requested": undefined,
  "sluice.part.staged": undefined,
};

/**
 * Every run's status, newest activity last. Events, in the order they were published, give the
 * lifecycle: a run's state is the outcome of its LATEST attempt (a replay under a changed
 * contract that is quarantined is quarantined, and says an earlier load is in the table). The
 * ledger is the database's own word: a load (or unload) it committed after the run's latest
 * event wins, since that event may be lost or not archived yet. A message in a DLQ means the
 * run's latest attempt is stuck there until redriven, unless the run is loaded.
 */
export async function collectRunStatuses(sources: StatusSources): Promise<RunStatus[]> {
  const runs = new Map<string, RunStatus>();
  const lastActivity = new Map<string, string>();
  const since = sources.since ?? "";
  for await (const entry of sources.events) {
    if (entry.publishedAt < since) continue;
    apply(runs, entry.event);
    lastActivity.set(entry.event.data.runId, entry.publishedAt);
  }
  for (const queue of sources.deadLetterQueues ?? []) {
    for (const message of await queue.messages()) {
      for (const parked of runsInMessage(message.body)) {
        const run = runs.get(parked.runId) ?? newRun(parked.runId, parked.bucket, parked.key);
        if (parked.dataset) run.dataset ??= parked.dataset;
        run.deadLetters.push({
          queue: queue.name,
          messageId: message.messageId,
          receiveCount: message.receiveCount,
        });
        runs.set(parked.runId, run);
        lastActivity.set(
          parked.runId,
          lastActivity.get(parked.runId) ?? new Date(message.sentTimestamp).toISOString(),
        );
      }
    }
  }
  if (sources.target && runs.size > 0) {
    for (const [runId, view] of await readLedger(sources, [...runs.keys()])) {
      const run = runs.get(runId);
      if (run) run.ledger = view;
    }
  }
  for (const run of runs.values()) settle(run);
  return [...runs.values()].sort((a, b) =>
    (lastActivity.get(a.runId) ?? "").localeCompare(lastActivity.get(b.runId) ?? ""),
  );
}

/** The ledger rows of `runIds`; none, after telling `onLedgerUnavailable`, when the database cannot be reached. */
async function readLedger(sources: StatusSources, runIds: string[]): Promise<Map<string, LedgerView>> {
  try {
    return await readLedgerViews(sources.target!, sources.ledgerSchema ?? "sluice", runIds);
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError)) throw error;
    sources.onLedgerUnavailable?.(error);
    return new Map();
  }
}

/** Says, through `note`, that status goes without the ledger because the database is unreachable. */
export function ledgerUnavailableNote(
  note: (text: string) => void,
): (error: DatabaseUnavailableError) => void {
  return (error) =>
    note(`note: the ledger could not be read (${error.message}); status shows events and DLQs only`);
}

/**
 * Each object's latest run (by activity; `runs` as {@link collectRunStatuses} orders them). When
 * that run is not loaded but an earlier run of the object is, it names that run in
 * `earlierLoadedRunId`: its rows are what the table holds of the object.
 */
export function latestRunPerObject(runs: readonly RunStatus[]): RunStatus[] {
  const latest = new Map<string, RunStatus>();
  for (const run of runs) {
    const object = `${run.bucket}\u0000${run.key}`;
    const earlier = latest.get(object);
    const loadedEarlier =
      earlier && (earlier.state === "loaded" ? earlier.runId : earlier.earlierLoadedRunId);
    latest.delete(object);
    latest.set(
      object,
      loadedEarlier && run.state !== "loaded" && run.state !== "unloaded"
        ? { ...run, earlierLoadedRunId: run.earlierLoadedRunId ?? loadedEarlier }
        : run,
    );
  }
  return [...latest.values()];
}

function newRun(runId: string, bucket: string, key: string): RunStatus {
  return { runId, bucket, key, state: "received", deadLetters: [], times: {}, durations: {} };
}

function apply(runs: Map<string, RunStatus>, event: SluiceEvent): void {
  const { runId, object } = event.data;
  const run = runs.get(runId) ?? newRun(runId, object.bucket, object.key);
  runs.set(runId, run);
  const data = event.data as { dataset?: string; route?: Route };
  if (data.dataset) run.dataset = data.dataset;
  if (data.route) run.route = data.route;
  const step = STEP_OF[event.type];
  const wasLoaded = run.state === "loaded";
  if (step === undefined) {
    applyPart(run, event);
    return;
  }
  run.times[step] = event.time;
  // A new attempt of a loaded run (a replay, a redelivery): until it loads, the table holds the earlier load.
  if (step === "received" && run.state === "loaded") run.earlierLoadedRunId = runId;
  // A fanned-out run can be loaded (its early start) before its staged event is archived.
  if (!(wasLoaded && step === "staged")) run.state = step;
  switch (event.type) {
    case "sluice.object.received":
      delete run.reason;
      delete run.message;
      delete run.loadRejectsKey;
      delete run.parts;
      delete run.unsplitReason;
      break;
    case "sluice.object.staged": {
      const staged = event.data as EventData<"sluice.object.staged">;
      run.rows = rowsOf(staged.counts);
      if (staged.unsplitReason) run.unsplitReason = staged.unsplitReason;
      if (staged.parts) run.parts = { ...(run.parts ?? { requested: 0, staged: 0 }), total: staged.parts };
      run.durations.stageMs = elapsed(run.times.received, event.time);
      break;
    }
    case "sluice.object.loaded": {
      const loaded = event.data as EventData<"sluice.object.loaded">;
      // A second delivery of the same attempt (a fanned-out run's staged event after its early
      // start loaded it, a duplicate) changed nothing: the load to show is the one that did.
      if (loaded.alreadyLoaded && wasLoaded && run.load && !run.load.alreadyLoaded) break;
      forgetFailure(run);
      run.load = {
        table: loaded.table,
        inserted: loaded.inserted,
        updated: loaded.updated,
        unchanged: loaded.unchanged,
        alreadyLoaded: loaded.alreadyLoaded,
        deleted: loaded.deleted ?? 0,
        repeats: loaded.repeats ?? 0,
        rejected: loaded.rejected ?? 0,
        reloaded: loaded.reloaded ?? false,
        ...(loaded.skipped ? { skipped: loaded.skipped } : {}),
      };
      if (loaded.loadRejectsKey) run.loadRejectsKey = loaded.loadRejectsKey;
      run.durations.loadMs = elapsed(run.times.staged, event.time);
      break;
    }
    case "sluice.object.quarantined": {
      const quarantined = event.data as EventData<"sluice.object.quarantined">;
      run.reason = quarantined.reason;
      run.message = quarantined.message;
      run.firstRejections = quarantined.firstRejections;
      if (quarantined.counts) run.rows = rowsOf(quarantined.counts);
      // The loader quarantines a run whose table refused too many rows: its rejects are its own file.
      if (quarantined.rejectsKey?.endsWith(LOAD_REJECTS_FILE)) run.loadRejectsKey = quarantined.rejectsKey;
      run.durations.stageMs = elapsed(run.times.received, event.time);
      break;
    }
    case "sluice.object.failed": {
      const failed = event.data as EventData<"sluice.object.failed">;
      if (isRetryingFailure(event)) run.state = "retrying";
      run.reason = failed.reason;
      run.message = failed.message;
      break;
    }
    case "sluice.object.unloaded": {
      const unloaded = event.data as EventData<"sluice.object.unloaded">;
      forgetFailure(run);
      run.unload = { table: unloaded.table, deleted: unloaded.deleted };
      break;
    }
  }
}

/**
 * A fanned-out run's progress: parts asked for, parts staged. A redelivered part event counts
 * once (by part index), so the figures are the parts, not the messages.
 */
function applyPart(run: RunStatus, event: SluiceEvent): void {
  run.parts ??= { requested: 0, staged: 0 };
  const parts = run.parts;
  if (event.type === "sluice.part.requested") {
    const { part, last } = event.data as EventData<"sluice.part.requested">;
    parts.requested = Math.max(parts.requested, part.index + 1);
    if (last) parts.total = part.index + 1;
  } else if (event.type === "sluice.part.staged") {
    const { part } = event.data as EventData<"sluice.part.staged">;
    const staged = (stagedParts.get(run) ?? new Set<number>()).add(part.index);
    stagedParts.set(run, staged);
    parts.staged = staged.size;
  }
}

/** The indexes of the parts staged, per run (the count in `RunStatus.parts` is their number). */
const stagedParts = new WeakMap<RunStatus, Set<number>>();

/** A load or unload ends the run's story so far: an earlier failure and earlier load no longer apply. */
function forgetFailure(run: RunStatus): void {
  delete run.reason;
  delete run.message;
  delete run.earlierLoadedRunId;
}

/** Reconciles a run's events with the ledger and the DLQs. */
function settle(run: RunStatus): void {
  const { ledger } = run;
  const lastEvent = Object.values(run.times).sort().at(-1) ?? "";
  const newer = (time: string | null | undefined) => time !== null && time !== undefined && time > lastEvent;
  if (ledger?.status === "loaded" && run.state !== "loaded") {
    if (newer(ledger.loadedAt)) {
      run.state = "loaded";
      forgetFailure(run);
    } else if (run.state !== "unloaded") {
      run.earlierLoadedRunId ??= run.runId;
    }
  } else if (ledger?.status === "unloaded" && run.state !== "unloaded" && newer(ledger.unloadedAt)) {
    run.state = "unloaded";
    forgetFailure(run);
  }
  if (run.deadLetters.length > 0 && run.state !== "loaded" && run.state !== "unloaded") {
    // Each queue once: a fanned-out run may park two loads (its early start's and its own) in one.
    const where = `in ${[...new Set(run.deadLetters.map((d) => d.queue))].join(", ")}`;
    run.reason = run.reason ? `${run.reason} (${where})` : where;
    run.state = "dead-lettered";
  }
}

function elapsed(from: string | undefined, to: string): number | undefined {
  if (!from) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** A run's row counts as status shows them, from an event's `counts`. */
function rowsOf(counts: EventData<"sluice.object.staged">["counts"]): NonNullable<RunStatus["rows"]> {
  return { total: counts.rows, staged: counts.staged, rejected: counts.rejected };
}
