/**
 * What the dashboard's API sends and its page reads. No imports: the page (type-checked for the
 * browser) shares these types with the server without pulling in Node-only modules.
 */

/** A dataset as the dashboard shows it: its contract and what its objects did. */
export interface DatasetView {
  name: string;
  /** From the contract, when the contracts folder has one for this dataset. */
  contract?: {
    file: string;
    table: string;
    format: string;
    route: string;
    fields: number;
    primaryKey: string[];
    maxBadRowRatio?: number;
  };
  /** Objects by the state of their latest run. */
  objects: Partial<Record<string, number>>;
  rowsLoaded: number;
  rowsRejected: number;
}

/** One object's latest run, as a table row. */
export interface ObjectView {
  runId: string;
  key: string;
  dataset?: string;
  route?: string;
  state: string;
  /** As `sluice status` words it, e.g. `quarantined: bad-row-ratio`. */
  stateText: string;
  message?: string;
  rows?: number;
  rowsLoaded?: number;
  rowsRejected?: number;
  stageMs?: number;
  loadMs?: number;
}

/** Rows and objects through per second, one point per time bucket. */
export interface ThroughputView {
  bucketMs: number;
  points: { at: string; rowsPerSecond: number; objectsPerSecond: number }[];
}

/** How long a phase took for a dataset's runs. */
export interface PhaseDurationView {
  dataset: string;
  phase: "stage" | "load";
  runs: number;
  medianMs: number;
  maxMs: number;
}

/** A dead-letter queue and what is parked in it. */
export interface DeadLetterQueueView {
  name: string;
  messages: { queue: string; messageId: string; receiveCount: number; sentAt: string; subject: string }[];
}

/** Everything the dashboard page shows but one object's details. */
export interface DashboardSnapshot {
  generatedAt: string;
  /** Where it was read: the state directory, or the deployed environment. */
  source: { kind: "local" | "aws"; where: string; notes: string[] };
  actions: { allowed: boolean; replay: boolean };
  datasets: DatasetView[];
  objects: ObjectView[];
  throughput: ThroughputView;
  phases: PhaseDurationView[];
  deadLetterQueues: DeadLetterQueueView[];
}

/** One object's run in full: its status, the steps it went through, its rejected rows. */
export interface ObjectDetail {
  run: RunDetailView;
  stateText: string;
  timeline: { step: string; at: string }[];
  rejects: RejectsView;
}

/**
 * What the object page reads of a run's status (the API sends the whole `RunStatus`, which the
 * server's type check proves has these fields).
 */
export interface RunDetailView {
  runId: string;
  key: string;
  dataset?: string;
  route?: string;
  state: string;
  message?: string;
  rows?: { total: number; staged: number; rejected: number };
  /** A fanned-out run's parts; why a large object was staged in one pass. */
  parts?: { requested: number; staged: number; total?: number };
  unsplitReason?: string;
  load?: { table: string; inserted: number; updated: number; unchanged: number };
  ledger?: {
    status: string;
    attempts: number;
    loadedAt: string | null;
    unloadedAt?: string | null;
    inserted: number;
    updated: number;
  };
  deadLetters: { queue: string; messageId: string; receiveCount: number }[];
  firstRejections?: { line: number; field: string; reason: string }[];
  durations: { stageMs?: number; loadMs?: number };
}

/** A run's rejected rows, as `sluice rejects` reads them. */
export interface RejectsView {
  counts: { transform: number; loader: number };
  loaderUnlisted: number;
  rejections: { source: string; line: number; field: string; reason: string; value?: string }[];
  files: string[];
}
