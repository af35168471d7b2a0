import { isRetryingFailure, type SluiceEvent } from "@sluice/core";
import { RUN_STATES, type RunState } from "../status/run-states";
import { formatMs } from "./table";

/** Where an object is, as the progress block counts it: `stored` until the listener announces it. */
export type ProgressState = "stored" | Exclude<RunState, "dead-lettered">;

/**
 * The state an object event moves its run to: its step (`loaded` for `sluice.object.loaded`), or
 * `retrying` for a failure whose run is started again automatically (it names its `nextAttempt`).
 */
export function progressStateOf(event: SluiceEvent): ProgressState {
  if (isRetryingFailure(event)) return "retrying";
  return event.type.slice("sluice.object.".length) as ProgressState;
}

/** A run state the block lists: every one an event moves a run to but an unload. */
function listed(state: RunState): state is Exclude<RunState, "dead-lettered" | "unloaded"> {
  return state !== "dead-lettered" && state !== "unloaded";
}

/** The order the block lists states in: `stored`, then a run's, as status orders them. */
const STATES: readonly ProgressState[] = ["stored", ...RUN_STATES.filter(listed)];

/** States an object's run ends in (for this command: a replay or redelivery can start it again). */
const DONE: ReadonlySet<ProgressState> = new Set(["loaded", "quarantined", "failed", "unloaded"]);

/**
 * What a command following the pipeline has seen so far: each object by its latest state (an
 * object counts once, however many events it had), rows loaded, and bytes, for the ETA.
 */
export class ProgressTally {
  private readonly runs = new Map<string, { state: ProgressState; size?: number }>();
  private rowsLoaded = 0;

  /** `startedAt`: epoch ms the command started following. */
  constructor(readonly startedAt: number) {}

  /** An object written into the raw bucket, before (or after) the pipeline says anything of it. */
  stored(runId: string, size: number): void {
    const run = this.runs.get(runId);
    if (run) run.size = size;
    else this.runs.set(runId, { state: "stored", size });
  }

  /** An event of the pipeline: its run moves to the event's step. */
  apply(event: SluiceEvent): void {
    const state = progressStateOf(event);
    const run = this.runs.get(event.data.runId);
    if (run) run.state = state;
    else this.runs.set(event.data.runId, { state, size: event.data.object.size });
    if (event.type === "sluice.object.loaded") {
      const data = event.data as {
        alreadyLoaded?: boolean;
        inserted: number;
        updated: number;
        unchanged: number;
      };
      if (!data.alreadyLoaded) this.rowsLoaded += data.inserted + data.updated + data.unchanged;
    }
  }

  /** How many objects are in each state now. */
  counts(): Record<ProgressState, number> {
    const counts = {
      stored: 0,
      received: 0,
      staged: 0,
      loaded: 0,
      quarantined: 0,
      failed: 0,
      retrying: 0,
      unloaded: 0,
    };
    for (const run of this.runs.values()) counts[run.state] += 1;
    return counts;
  }

  /** The block's lines at `now` (epoch ms): objects by state, then rows, rates, elapsed and ETA. */
  lines(now: number): string[] {
    const counts = this.counts();
    const elapsedMs = Math.max(0, now - this.startedAt);
    const seconds = elapsedMs / 1000;
    const done = [...this.runs.values()].filter((run) => DONE.has(run.state));
    const objects = `objects ${this.runs.size}: ${STATES.map((s) => `${counts[s]} ${s}`).join(" · ")}`;
    const rate = (n: number) => (seconds > 0 ? Math.round(n / seconds) : 0);
    const parts = [
      `rows ${this.rowsLoaded.toLocaleString("en-US")} loaded`,
      `${rate(this.rowsLoaded).toLocaleString("en-US")} rows/s`,
      `${seconds > 0 ? (done.length / seconds).toFixed(1) : "0.0"} objects/s`,
      `elapsed ${formatMs(Math.round(elapsedMs))}`,
    ];
    const eta = this.etaMs(elapsedMs);
    if (eta !== undefined) parts.push(`ETA ${formatMs(eta)}`);
    return [objects, parts.join(" · ")];
  }

  /**
   * Time left at the rate bytes got through so far, when every object's size is known and some
   * are through; undefined otherwise (nothing to go by yet, or all done).
   */
  private etaMs(elapsedMs: number): number | undefined {
    let total = 0;
    let through = 0;
    for (const run of this.runs.values()) {
      if (run.size === undefined) return undefined;
      total += run.size;
      if (DONE.has(run.state)) through += run.size;
    }
    if (through === 0 || through >= total || elapsedMs === 0) return undefined;
    return Math.round(((total - through) * elapsedMs) / through);
  }
}
