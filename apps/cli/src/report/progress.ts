import type { SluiceEvent } from "@sluice/core";
import type { JournalEntry } from "@sluice/local";
import type { CliIo } from "../io";
import { ProgressTally, progressStateOf } from "./progress-tally";

/** How often the progress block is redrawn on a terminal. */
export interface ProgressSettings {
  /** At most one redraw per this many ms while events come in. */
  redrawMs: number;
  /** Redraw this often without events, so elapsed time and rates stay current. */
  tickMs: number;
}

/** Default {@link ProgressSettings}: smooth to the eye, cheap on a pipe-fed terminal. */
export const DEFAULT_PROGRESS_SETTINGS: ProgressSettings = { redrawMs: 100, tickMs: 1000 };

/** A live view of a runtime's events while a command waits for it. */
export interface Progress {
  /** Pass to the runtime's `follow` (or `onEvent`). */
  onEvent: (entry: JournalEntry) => void;
  /** An object stored in the raw bucket: counted from the first one, before its events. */
  stored(object: { runId: string; key: string; size: number }): void;
  /** Ends the view (a terminal gets the block's final state). */
  end(): void;
}

/** ANSI: cursor up `n` lines, to column 1, and clear from there to the end of the screen. */
export function eraseLinesAbove(n: number): string {
  return n > 0 ? `\u001b[${n}A\r\u001b[0J` : "";
}

/**
 * On a terminal one progress block (objects by state, rows/s, elapsed, ETA) redrawn in place:
 * the cursor moves up over the last drawing and clears it. Otherwise one plain line per stored
 * object and per event.
 * Nothing when `quiet`.
 */
export function createProgress(
  io: CliIo,
  quiet: boolean,
  settings: ProgressSettings = DEFAULT_PROGRESS_SETTINGS,
  now: () => number = Date.now,
): Progress {
  const tally = new ProgressTally(now());
  const live = !quiet && io.isTTY;
  let drawnLines = 0;
  let lastDraw = 0;
  let pending: NodeJS.Timeout | undefined;
  const draw = () => {
    if (pending) clearTimeout(pending);
    pending = undefined;
    lastDraw = now();
    const lines = tally.lines(lastDraw);
    io.out(`${eraseLinesAbove(drawnLines)}${lines.join("\n")}\n`);
    drawnLines = lines.length;
  };
  const redrawSoon = () => {
    if (!live || pending) return;
    const wait = lastDraw + settings.redrawMs - now();
    if (wait <= 0) draw();
    else pending = setTimeout(draw, wait);
  };
  const ticker = live ? setInterval(draw, settings.tickMs) : undefined;
  ticker?.unref();
  if (live) draw();
  return {
    onEvent({ event }) {
      tally.apply(event);
      if (live) redrawSoon();
      else if (!quiet)
        io.out(`${progressStateOf(event).padEnd(11)} ${event.data.object.key}${detailOf(event)}`);
    },
    stored({ runId, key, size }) {
      tally.stored(runId, size);
      if (live) redrawSoon();
      else if (!quiet) io.out(`${"stored".padEnd(11)} ${key} (${size} bytes)`);
    },
    end() {
      if (ticker) clearInterval(ticker);
      if (live) draw();
    },
  };
}

function detailOf(event: SluiceEvent): string {
  const data = event.data as Record<string, unknown>;
  if (event.type === "sluice.object.received")
    return ` (${String(data.dataset)}, route ${String(data.route)})`;
  if (event.type === "sluice.object.loaded") {
    return data.alreadyLoaded
      ? " (already loaded: nothing changed)"
      : ` (${Number(data.inserted)} inserted, ${Number(data.updated)} updated)`;
  }
  if (event.type === "sluice.object.quarantined" || event.type === "sluice.object.failed") {
    return `: ${String(data.reason)}`;
  }
  return "";
}
