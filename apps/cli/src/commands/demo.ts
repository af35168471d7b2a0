import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError } from "@sluice/core";
import type { CommandHandler, GlobalOptions } from "../context";
import { EXIT } from "../exit-codes";
import { problemLines, runsTable } from "../report/runs-text";
import { runtimeRunStatuses } from "../status/local-status";
import type { RunState } from "../status/object-status";
import { filesToIngest, ingestFiles } from "./support/files";
import { followWithProgress, withRuntime } from "./support/runtime-session";

/** Options of `sluice demo`. */
export interface DemoOptions {
  /** Give up waiting for the pipeline after this long. */
  timeoutMs: number;
}

/** The folder holding the demo's sample files (`raw/`) and what each should end as (`expected.json`). */
export function samplesDir(): string {
  for (const candidate of [join(__dirname, "..", "samples"), join(__dirname, "..", "..", "samples")]) {
    if (existsSync(join(candidate, "expected.json"))) return candidate;
  }
  throw new ConfigError("the sample files are missing (apps/cli/samples)");
}

/**
 * `sluice demo`: loads the shipped samples end to end and says what happened to each. Exit
 * `attention` when a sample did not end as `samples/expected.json` says (or Ctrl-C), `timeout`
 * when the pipeline did not drain in time.
 */
export const demo: CommandHandler<DemoOptions> = async ({ timeoutMs }, context) => {
  const { globals, reporter } = context;
  const samples = samplesDir();
  const expected = JSON.parse(readFileSync(join(samples, "expected.json"), "utf8")) as Record<
    string,
    RunState
  >;
  const { files } = await filesToIngest([join(samples, "raw")]);
  reporter.say(
    `Loading ${files.length} sample files into ${globals.databaseUrl ? "Postgres" : "the embedded Postgres (PGlite)"}…`,
  );
  const since = new Date().toISOString();
  return withRuntime(context, async (runtime, interrupted) => {
    const { outcome, ingested } = await followWithProgress(runtime, context, {
      timeoutMs,
      interrupted,
      terminalOnly: true,
      ingest: (onStored) => ingestFiles(runtime, files, onStored),
    });
    const runIds = new Set(ingested.map((object) => object.runId));
    const runs = (await runtimeRunStatuses(runtime, since, (text) => reporter.note(text))).filter((run) =>
      runIds.has(run.runId),
    );
    const unexpected = runs.filter(
      (run) => expected[run.key] !== undefined && expected[run.key] !== run.state,
    );
    const missing = ingested.filter((object) => !runs.some((run) => run.runId === object.runId));
    const alreadyLoaded = runs.filter((run) => run.load?.alreadyLoaded).length;
    reporter.result({ outcome, runs, unexpected: unexpected.map((r) => r.key), alreadyLoaded }, () => {
      const lines = ["", runsTable(runs), ""];
      if (alreadyLoaded > 0) {
        lines.push(
          `${alreadyLoaded} of ${runs.length} objects were already loaded by an earlier run: nothing was loaded twice.`,
        );
      }
      lines.push(...problemLines(runs));
      if (outcome !== "drained")
        lines.push(`The pipeline did not finish (${outcome}); run the demo again to resume.`);
      for (const run of unexpected)
        lines.push(`UNEXPECTED: ${run.key} is ${run.state}, expected ${expected[run.key]}`);
      lines.push(queryHint(globals));
      return lines;
    });
    if (outcome === "interrupted") return EXIT.attention;
    if (outcome === "timeout") return EXIT.timeout;
    return unexpected.length > 0 || missing.length > 0 ? EXIT.attention : EXIT.ok;
  });
};

function queryHint(globals: GlobalOptions): string {
  const lines = ["Query the loaded tables:"];
  if (globals.databaseUrl) {
    lines.push(
      `  psql "${globals.databaseUrl}" -c "select status, count(*), sum(amount) from orders group by status"`,
    );
  } else {
    lines.push(`  pnpm sluice sql "select status, count(*), sum(amount) from orders group by status"`);
    lines.push(`  pnpm sluice sql "select * from sluice.load_ledger"`);
  }
  lines.push("Follow one object:  pnpm sluice status 'orders/2026-03 orders with bad rows.csv'");
  return lines.join("\n");
}
