import { type DatasetRegistry, runIdOf } from "@sluice/core";
import type { CommandHandler } from "../context";
import { CliError } from "../errors";
import { EXIT, exitCodeOfRuns } from "../exit-codes";
import { problemLines, runsTable } from "../report/runs-text";
import { readLocalStatus, runtimeRunStatuses } from "../status/local-status";
import type { RunState, RunStatus } from "../status/object-status";
import { followWithProgress, withRuntime } from "./support/runtime-session";

/** Which objects `sluice replay` re-emits, by their latest run. */
export type ReplayState = "failed" | "quarantined" | "all";

/** Options of `sluice replay` (a prefix, a dataset, or both). */
export interface ReplayOptions {
  /** Objects whose key starts with this (`""` for all). */
  prefix?: string;
  /** Objects whose key this dataset's contract claims. */
  dataset?: string;
  /** Only objects written at or after this ISO time. */
  since?: string;
  /** Only the object with exactly this key (the dashboard's replay of one object). */
  key?: string;
  state: ReplayState;
  /** Run the pipeline until drained after re-emitting. */
  wait: boolean;
  timeoutMs: number;
}

/**
 * The run states each `--state` replays. `failed` takes `retrying` runs too: one whose automatic
 * retry was lost (the runtime killed before it started it) has no other way out, and one whose
 * retry is still to come is loaded once between the retry and the replay (the ledger).
 */
const STATES_OF: Record<ReplayState, ReadonlySet<RunState> | undefined> = {
  failed: new Set<RunState>(["failed", "retrying", "dead-lettered"]),
  quarantined: new Set<RunState>(["quarantined"]),
  all: undefined,
};

/**
 * `sluice replay`: re-sends the notifications of objects already in the raw bucket (backfill,
 * after a fix, or after a contract change: a dataset's every object), then, unless `wait` is
 * off, runs the pipeline until drained.
 */
export const replay: CommandHandler<ReplayOptions> = async (options, context) => {
  const { globals, reporter } = context;
  if (options.prefix === undefined && options.dataset === undefined && options.key === undefined)
    throw new CliError(
      "say which objects: --prefix <prefix> ('' for all) and/or --dataset <name>",
      EXIT.usage,
    );
  const since = options.since ? Date.parse(options.since) : undefined;
  if (since !== undefined && Number.isNaN(since))
    throw new CliError(`--since ${options.since} is not a time`, EXIT.usage);
  const wanted = STATES_OF[options.state];
  const latest = new Map<string, RunStatus>();
  if (wanted)
    for (const run of await readLocalStatus(globals, (text) => reporter.note(text)))
      latest.set(`${run.bucket}\u0000${run.key}`, run);
  const startedAt = new Date().toISOString();
  return withRuntime(context, async (runtime, interrupted) => {
    const bucket = runtime.settings.buckets.raw;
    const claimed =
      options.dataset === undefined ? undefined : datasetClaim(runtime.registry, options.dataset);
    const keys: string[] = [];
    for await (const head of runtime.rawObjects(options.prefix ?? options.key ?? claimed?.prefix ?? "")) {
      if (options.key !== undefined && head.key !== options.key) continue;
      if (since !== undefined && head.lastModified.getTime() < since) continue;
      if (claimed && !claimed.claims(head.key)) continue;
      if (wanted) {
        const run = latest.get(`${bucket}\u0000${head.key}`);
        if (!run || !wanted.has(run.state) || run.runId !== runIdOf(head)) continue;
      }
      keys.push(head.key);
    }
    for (const key of keys) await runtime.replay(key);
    reporter.say(`re-emitted ${keys.length} object(s)`);
    if (!options.wait || keys.length === 0) {
      reporter.result({ replayed: keys }, () => undefined);
      return EXIT.ok;
    }
    const { outcome } = await followWithProgress(runtime, context, {
      timeoutMs: options.timeoutMs,
      interrupted,
    });
    const replayedKeys = new Set(keys);
    const runs = (await runtimeRunStatuses(runtime, startedAt, (text) => reporter.note(text))).filter((run) =>
      replayedKeys.has(run.key),
    );
    reporter.result({ replayed: keys, outcome, runs }, () => [runsTable(runs), ...problemLines(runs)]);
    if (outcome === "timeout") return EXIT.timeout;
    return exitCodeOfRuns(runs);
  });
};

/**
 * Which keys dataset `name`'s contract claims (as the listener decides: the most specific claim
 * wins; a key two contracts claim equally belongs to neither), and the prefix to list.
 */
function datasetClaim(
  registry: DatasetRegistry,
  name: string,
): { prefix: string; claims: (key: string) => boolean } {
  const known = registry.all().map((contract) => contract.name);
  if (!known.includes(name))
    throw new CliError(`no dataset contract is named ${name} (known: ${known.join(", ")})`, EXIT.usage);
  const { match } = registry.get(name);
  const claims = (key: string) => {
    try {
      return registry.claim(key)?.name === name;
    } catch {
      return false;
    }
  };
  return { prefix: "prefix" in match ? match.prefix : "", claims };
}
