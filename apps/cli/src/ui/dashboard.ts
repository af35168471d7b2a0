import type { DatasetContract } from "@sluice/core";
import { rejectedRows, stateText } from "../report/runs-text";
import type { RunStatus } from "../status/object-status";
import type {
  DatasetView,
  ObjectDetail,
  ObjectView,
  PhaseDurationView,
  ThroughputView,
} from "./dashboard-types";

/** Rows a run's latest attempt put into its table (nothing for an "already loaded" delivery). */
export function rowsLoadedBy(run: RunStatus): number {
  if (run.state !== "loaded" || !run.load || run.load.alreadyLoaded) return 0;
  return run.load.inserted + run.load.updated + run.load.unchanged;
}

/** The objects table: each object's latest run (`latest`, as `selectRuns` gives it), newest last. */
export function objectViews(latest: readonly RunStatus[]): ObjectView[] {
  return latest.map((run) => ({
    runId: run.runId,
    key: run.key,
    ...(run.dataset ? { dataset: run.dataset } : {}),
    ...(run.route ? { route: run.route } : {}),
    state: run.state,
    stateText: stateText(run),
    ...(run.message ? { message: run.message } : {}),
    ...(run.rows ? { rows: run.rows.total, rowsRejected: rejectedRows(run) } : {}),
    ...(run.state === "loaded" ? { rowsLoaded: rowsLoadedBy(run) } : {}),
    ...(run.durations.stageMs !== undefined ? { stageMs: run.durations.stageMs } : {}),
    ...(run.durations.loadMs !== undefined ? { loadMs: run.durations.loadMs } : {}),
  }));
}

/** Each dataset (with a contract, or with objects) and what its objects' latest runs did. */
export function datasetViews(
  latest: readonly RunStatus[],
  contracts: readonly { file: string; contract: DatasetContract }[],
): DatasetView[] {
  const views = new Map<string, DatasetView>();
  const viewOf = (name: string) => {
    const view = views.get(name) ?? { name, objects: {}, rowsLoaded: 0, rowsRejected: 0 };
    views.set(name, view);
    return view;
  };
  for (const { file, contract } of contracts) {
    viewOf(contract.name).contract = {
      file,
      table: contract.table,
      format: contract.format.type,
      route: routeText(contract.route),
      fields: contract.fields.length,
      primaryKey: [...(contract.primaryKey ?? [])],
      ...(contract.quarantine?.maxBadRowRatio !== undefined
        ? { maxBadRowRatio: contract.quarantine.maxBadRowRatio }
        : {}),
    };
  }
  for (const run of latest) {
    const view = viewOf(run.dataset ?? "(unclaimed)");
    view.objects[run.state] = (view.objects[run.state] ?? 0) + 1;
    view.rowsLoaded += rowsLoadedBy(run);
    view.rowsRejected += rejectedRows(run);
  }
  return [...views.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/** A contract's route as a person reads it: `lambda`, `container`, or `auto (container from 512 MB)`. */
function routeText(route: DatasetContract["route"]): string {
  if (typeof route === "string") return route;
  return `auto (container from ${Math.round(route.auto.thresholdBytes / 2 ** 20)} MB)`;
}

/** How many points the throughput chart aims at, at most. */
const THROUGHPUT_POINTS = 60;

/**
 * Rows loaded and objects finished (loaded, quarantined, failed) per second, over the time the
 * runs cover, in buckets of whole seconds (at most {@link THROUGHPUT_POINTS} of them).
 */
export function throughputOf(runs: readonly RunStatus[]): ThroughputView {
  const finished: { at: number; rows: number }[] = [];
  for (const run of runs) {
    const end = run.times.loaded ?? run.times.quarantined ?? run.times.failed;
    if (end) finished.push({ at: Date.parse(end), rows: rowsLoadedBy(run) });
  }
  const starts = runs.flatMap((run) => (run.times.received ? [Date.parse(run.times.received)] : []));
  if (finished.length === 0) return { bucketMs: 1000, points: [] };
  const first = Math.min(...starts, ...finished.map((f) => f.at));
  const last = Math.max(...finished.map((f) => f.at));
  const bucketMs = Math.max(1000, Math.ceil((last - first) / THROUGHPUT_POINTS / 1000) * 1000);
  const buckets = Math.floor((last - first) / bucketMs) + 1;
  const rows = new Array<number>(buckets).fill(0);
  const objects = new Array<number>(buckets).fill(0);
  for (const { at, rows: n } of finished) {
    const i = Math.floor((at - first) / bucketMs);
    rows[i]! += n;
    objects[i]! += 1;
  }
  const perSecond = (n: number) => Math.round((n * 1000 * 100) / bucketMs) / 100;
  return {
    bucketMs,
    points: rows.map((n, i) => ({
      at: new Date(first + i * bucketMs).toISOString(),
      rowsPerSecond: perSecond(n),
      objectsPerSecond: perSecond(objects[i]!),
    })),
  };
}

/** Median and longest stage and load time per dataset, over `runs`. */
export function phaseDurations(runs: readonly RunStatus[]): PhaseDurationView[] {
  const byKey = new Map<string, number[]>();
  for (const run of runs) {
    const dataset = run.dataset ?? "(unclaimed)";
    for (const phase of ["stage", "load"] as const) {
      const ms = phase === "stage" ? run.durations.stageMs : run.durations.loadMs;
      if (ms === undefined) continue;
      const key = `${dataset}\u0000${phase}`;
      byKey.set(key, [...(byKey.get(key) ?? []), ms]);
    }
  }
  return [...byKey]
    .map(([key, values]) => {
      const [dataset, phase] = key.split("\u0000") as [string, "stage" | "load"];
      const sorted = [...values].sort((a, b) => a - b);
      return {
        dataset,
        phase,
        runs: sorted.length,
        medianMs: sorted[Math.floor((sorted.length - 1) / 2)]!,
        maxMs: sorted.at(-1)!,
      };
    })
    .sort((a, b) => a.dataset.localeCompare(b.dataset) || b.phase.localeCompare(a.phase));
}

/** The steps of a run, in the order they happened: received → staged/quarantined → loaded/failed. */
export function timelineOf(run: RunStatus): ObjectDetail["timeline"] {
  return Object.entries(run.times)
    .map(([step, at]) => ({ step, at: at as string }))
    .sort((a, b) => a.at.localeCompare(b.at));
}
