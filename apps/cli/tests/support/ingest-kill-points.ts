import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { localStateLayout } from "@sluice/local";
import type { Started } from "./cli-process";

/**
 * Where in an ingest a trial kills `sluice run <folder>`, once `afterStored` files were stored:
 * - `writing`: the next file's body is being written, not committed;
 * - `committed`: the next object is committed and its notification not queued yet (the window
 *   issue 12 lost objects in);
 * - `announced`: its notification is queued, the ingest has not counted it yet;
 * - `acknowledged`: between two files.
 */
export interface IngestKillPoint {
  afterStored: number;
  moment: "writing" | "committed" | "announced" | "acknowledged";
}

/** Where a kill landed: a {@link IngestKillPoint} moment, or `processing` when the ingest was over first. */
export interface LandedKill {
  moment: IngestKillPoint["moment"] | "processing";
  /** Files the ingest had acknowledged (`progress`), as the journal said at the kill. */
  stored: number;
}

/** What the state directory says of the ingest under way. */
interface IngestView {
  /** Files acknowledged by the ingest journal; `undefined` when no ingest is under way. */
  stored: number | undefined;
  /** Objects committed in the raw bucket below `prefixDir`. */
  committed: number;
  /** A body is being streamed into the raw bucket. */
  writing: boolean;
  /** The last committed object's notification is queued or was taken (its key is in a listener message or the journal). */
  announced: boolean;
}

async function viewIngest(stateDir: string, prefixDir: string): Promise<IngestView> {
  const layout = localStateLayout(stateDir);
  const raw = join(layout.bucketsDir, "sluice-raw");
  const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
  const intent = (await list(layout.ingestsDir)).find((name) => /^[0-9a-f]{16}\.json$/.test(name));
  let stored: number | undefined;
  if (intent) {
    const progress = join(layout.ingestsDir, intent.replace(".json", ".progress.json"));
    stored = await readFile(progress, "utf8").then(
      (text) => (JSON.parse(text) as { stored: number }).stored,
      () => 0,
    );
  }
  // Files are ingested in key order: the last committed is the newest.
  const committed = (await list(join(raw, prefixDir))).filter((name) => name.endsWith(".~meta.json")).sort();
  const newest = committed.at(-1)?.replace(".~meta.json", "");
  return {
    stored,
    committed: committed.length,
    writing: (await list(join(raw, ".tmp"))).some((name) => name.endsWith(".body")),
    announced: newest !== undefined && (await mentions(layout, `${prefixDir}/${newest}`)),
  };
}

/** Whether a listener message or the events journal names `key`. */
async function mentions(layout: ReturnType<typeof localStateLayout>, key: string): Promise<boolean> {
  const messagesDir = join(layout.queuesDir, "listener", "messages");
  const files = [
    layout.journalFile,
    ...(await readdir(messagesDir).catch(() => [] as string[])).map((name) => join(messagesDir, name)),
  ];
  for (const file of files) if ((await readFile(file, "utf8").catch(() => "")).includes(key)) return true;
  return false;
}

function matches(point: IngestKillPoint, view: IngestView): boolean {
  if (view.stored === undefined || view.stored < point.afterStored) return false;
  if (point.moment === "committed") return view.committed > view.stored && !view.announced;
  if (point.moment === "announced") return view.committed > view.stored && view.announced;
  if (point.moment === "writing") return view.writing && view.committed === view.stored;
  return !view.writing && view.committed === view.stored;
}

/**
 * Kills `run` with SIGKILL at `point`. The ingest's moments last well under a millisecond, too
 * short to catch by looking from outside, so the process is frozen (SIGSTOP) at random instants
 * and the state directory read while it stands still: at a matching instant it is killed,
 * otherwise let go on (SIGCONT). When the ingest ends first, it is killed during processing.
 */
export async function killDuringIngest(
  run: Started,
  stateDir: string,
  prefixDir: string,
  point: IngestKillPoint,
  random: () => number,
): Promise<LandedKill> {
  const pid = run.child.pid!;
  const deadline = Date.now() + 300_000;
  for (;;) {
    if (run.child.exitCode !== null) throw new Error(`the run ended before it was killed:\n${run.stderr}`);
    if (Date.now() > deadline) throw new Error(`no kill point ${JSON.stringify(point)} came:\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 3)));
    process.kill(pid, "SIGSTOP");
    await stopped(pid);
    const view = await viewIngest(stateDir, prefixDir);
    // The journal is gone once the ingest finished; a `stored` line says it had begun.
    const over = view.stored === undefined && /^stored\s/m.test(run.stdout);
    if (over || matches(point, view)) {
      process.kill(pid, "SIGKILL");
      await run.exited;
      return { moment: over ? "processing" : point.moment, stored: view.stored ?? view.committed };
    }
    process.kill(pid, "SIGCONT");
  }
}

/** Resolves once `pid` stands still (Linux says so in /proc; elsewhere, after a moment). */
async function stopped(pid: number): Promise<void> {
  for (let look = 0; look < 200; look++) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => undefined);
    if (stat === undefined) return new Promise((resolve) => setTimeout(resolve, 5));
    // Field 3, after the parenthesised command name: T = stopped.
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("T")) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}
