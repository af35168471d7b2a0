import type { SluiceEvent } from "@sluice/core";
import type { JournalEntry } from "@sluice/local";
import type { CliIo } from "../io";

/** A live view of a runtime's events while a command waits for it. */
export interface Progress {
  /** Pass to the runtime's `follow` (or `onEvent`). */
  onEvent: (entry: JournalEntry) => void;
  /** Ends the view (a terminal gets its last newline). */
  end(): void;
}

/** The step an event reports, e.g. `received`, `loaded`. */
export function stepOf(event: SluiceEvent): string {
  return event.type.slice("sluice.object.".length);
}

/**
 * On a terminal one counter line redrawn per event, otherwise one plain line per event; nothing
 * when `quiet`.
 */
export function createProgress(io: CliIo, quiet: boolean): Progress {
  const counts: Record<string, number> = { received: 0, staged: 0, loaded: 0, quarantined: 0, failed: 0 };
  const redraw = () =>
    io.out(
      `\r\u001b[2K received ${counts.received} · staged ${counts.staged} · loaded ${counts.loaded} · quarantined ${counts.quarantined} · failed ${counts.failed}`,
    );
  return {
    onEvent({ event }) {
      const step = stepOf(event);
      counts[step] = (counts[step] ?? 0) + 1;
      if (quiet) return;
      if (io.isTTY) redraw();
      else io.out(`${step.padEnd(11)} ${event.data.object.key}${detailOf(event)}`);
    },
    end() {
      if (!quiet && io.isTTY) io.out("\n");
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
