import {
  type EventData,
  type LoadTarget,
  parseEvent,
  parseS3EventMessage,
  type Route,
  runIdOf,
  type SluiceEvent,
  unwrapSqsBody,
} from "@sluice/core";
import { ledgerTableOf, qualifiedName } from "@sluice/loader";
import type { JournalEntry } from "@sluice/local";

/** Where a run is in its lifecycle. */
export type RunState = "received" | "staged" | "loaded" | "quarantined" | "failed" | "dead-lettered";

/** States that need a person (or a replay / redrive). */
export const BAD_STATES: ReadonlySet<RunState> = new Set(["quarantined", "failed", "dead-lettered"]);

/** One run's lifecycle: one version of one object, from received to loaded (or parked). */
export interface RunStatus {
  runId: string;
  bucket: string;
  key: string;
  dataset?: string;
  route?: Route;
  state: RunState;
  /** Why it is quarantined, failed or dead-lettered. */
  reason?: string;
  message?: string;
  rows?: { total: number; staged: number; rejected: number };
  load?: { table: string; inserted: number; updated: number; unchanged: number; alreadyLoaded: boolean };
  /** The ledger's row for the run, when the database was readable. */
  ledger?: { status: string; attempts: number; loadedAt: string | null; inserted: number; updated: number };
  /** Messages of this run sitting in dead-letter queues now. */
  deadLetters: { queue: string; messageId: string; receiveCount: number }[];
  firstRejections?: EventData<"sluice.object.quarantined">["firstRejections"];
  /** When each step's event was published (the latest of each). */
  times: Partial<Record<"received" | "staged" | "loaded" | "quarantined" | "failed", string>>;
  /** Milliseconds spent staging (received → staged/quarantined) and loading (staged → loaded). */
  durations: { stageMs?: number; loadMs?: number };
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
}

const STATE_OF: Record<SluiceEvent["type"], RunState> = {
  "sluice.object.received": "received",
  "sluice.object.staged": "staged",
  "sluice.object.loaded": "loaded",
  "sluice.object.quarantined": "quarantined",
  "sluice.object.failed": "failed",
};

/**
 * Every run's status, newest activity last. Events give the lifecycle; the ledger is the
 * database's own word on what was loaded (it wins: a load is only true when committed); a
 * message in a DLQ means the run is stuck there until redriven.
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
  if (sources.target && runs.size > 0)
    await applyLedger(runs, sources.target, sources.ledgerSchema ?? "sluice");
  for (const run of runs.values()) {
    if (run.ledger?.status === "loaded" && run.state !== "loaded") {
      run.state = "loaded";
      delete run.reason;
      delete run.message;
    } else if (run.deadLetters.length > 0 && run.state !== "loaded") {
      run.state = "dead-lettered";
      run.reason = `in ${run.deadLetters.map((d) => d.queue).join(", ")}`;
    }
  }
  return [...runs.values()].sort((a, b) =>
    (lastActivity.get(a.runId) ?? "").localeCompare(lastActivity.get(b.runId) ?? ""),
  );
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
  const step = STATE_OF[event.type];
  run.times[step === "dead-lettered" ? "failed" : step] = event.time;
  // A loaded run stays loaded: a later redelivery's events do not make it "received" again.
  if (run.state !== "loaded" || step === "loaded") run.state = step;
  switch (event.type) {
    case "sluice.object.received":
      delete run.reason;
      delete run.message;
      break;
    case "sluice.object.staged": {
      const staged = event.data as EventData<"sluice.object.staged">;
      run.rows = rowsOf(staged.counts);
      run.durations.stageMs = elapsed(run.times.received, event.time);
      break;
    }
    case "sluice.object.loaded": {
      const loaded = event.data as EventData<"sluice.object.loaded">;
      run.load = {
        table: loaded.table,
        inserted: loaded.inserted,
        updated: loaded.updated,
        unchanged: loaded.unchanged,
        alreadyLoaded: loaded.alreadyLoaded,
      };
      run.durations.loadMs = elapsed(run.times.staged, event.time);
      break;
    }
    case "sluice.object.quarantined": {
      const quarantined = event.data as EventData<"sluice.object.quarantined">;
      run.reason = quarantined.reason;
      run.message = quarantined.message;
      run.firstRejections = quarantined.firstRejections;
      if (quarantined.counts) run.rows = rowsOf(quarantined.counts);
      run.durations.stageMs = elapsed(run.times.received, event.time);
      break;
    }
    case "sluice.object.failed": {
      const failed = event.data as EventData<"sluice.object.failed">;
      run.reason = failed.reason;
      run.message = failed.message;
      break;
    }
  }
}

function elapsed(from: string | undefined, to: string): number | undefined {
  if (!from) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The runs a dead-lettered message is about: a Sluice event, or an S3 notification (listener DLQ). */
function runsInMessage(body: string): { runId: string; bucket: string; key: string; dataset?: string }[] {
  let inner: unknown;
  try {
    inner = unwrapSqsBody(body);
  } catch {
    return [];
  }
  try {
    const event = parseEvent(inner);
    const data = event.data as { dataset?: string };
    return [
      {
        runId: event.data.runId,
        bucket: event.data.object.bucket,
        key: event.data.object.key,
        ...(data.dataset ? { dataset: data.dataset } : {}),
      },
    ];
  } catch {
    // Not a Sluice event: perhaps the S3 notification the listener could not handle.
  }
  try {
    return parseS3EventMessage(inner).map(({ object }) => ({
      runId: runIdOf(object),
      bucket: object.bucket,
      key: object.key,
    }));
  } catch {
    return [];
  }
}

interface LedgerRow {
  run_id: string;
  status: string;
  attempts: number;
  loaded_at: Date | string | null;
  inserted: string | number | null;
  updated: string | number | null;
}

async function applyLedger(runs: Map<string, RunStatus>, target: LoadTarget, schema: string): Promise<void> {
  const table = qualifiedName(ledgerTableOf(schema));
  const exists = await target.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [
    table,
  ]);
  if (!exists.rows[0]?.found) return;
  const result = await target.query<LedgerRow>(
    `SELECT run_id, status, attempts, loaded_at, inserted, updated FROM ${table} WHERE run_id = ANY($1::text[])`,
    [[...runs.keys()]],
  );
  for (const row of result.rows) {
    const run = runs.get(row.run_id);
    if (!run) continue;
    run.ledger = {
      status: row.status,
      attempts: Number(row.attempts),
      loadedAt: row.loaded_at === null ? null : new Date(row.loaded_at).toISOString(),
      inserted: Number(row.inserted ?? 0),
      updated: Number(row.updated ?? 0),
    };
  }
}

/** A run's row counts as status shows them, from an event's `counts`. */
function rowsOf(counts: EventData<"sluice.object.staged">["counts"]): NonNullable<RunStatus["rows"]> {
  return { total: counts.rows, staged: counts.staged, rejected: counts.rejected };
}
