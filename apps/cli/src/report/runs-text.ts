import { BAD_STATES, type LoadView, type RunStatus } from "../status/object-status";
import { formatMs, formatTable } from "./table";

/** The status text of a run, as a person reads it. */
export function stateText(run: RunStatus): string {
  const earlier = run.earlierLoadedRunId ? " (an earlier run is loaded)" : "";
  if (run.state === "received" && run.parts) return `staging: ${partsText(run.parts)}`;
  if (run.state === "loaded") {
    if (run.load?.skipped) return `loaded: skipped (${run.load.skipped.reason})`;
    if (run.load?.alreadyLoaded) return "already loaded (no change)";
    return run.load?.reloaded ? "loaded (reloaded: contract changed)" : "loaded";
  }
  if (run.reason) return `${run.state}: ${run.reason}${earlier}`;
  return `${run.state}${earlier}`;
}

/** Why each run that needs attention does, one line each (the table shows only the reason code). */
export function problemLines(runs: readonly RunStatus[]): string[] {
  return runs
    .filter((run) => BAD_STATES.has(run.state) && (run.message ?? run.reason))
    .map((run) => `${run.state} ${run.key}: ${run.message ?? run.reason}`);
}

/** Rows of a run's latest attempt that the transform and the loader rejected, together. */
export function rejectedRows(run: RunStatus): number {
  return (run.rows?.rejected ?? 0) + (run.load?.rejected ?? 0);
}

/** Under a table: where to see the rejected rows, when some run has any. */
export function rejectsHint(runs: readonly RunStatus[]): string[] {
  const withRejects = runs.filter((run) => rejectedRows(run) > 0);
  if (withRejects.length === 0) return [];
  const example = withRejects.length === 1 ? `'${withRejects[0]!.key}'` : "<key|run-id>";
  return [
    `${withRejects.length} object(s) have rejected rows: \`sluice rejects ${example}\` lists their line, field, reason and value`,
  ];
}

/** The per-object summary table. */
export function runsTable(runs: readonly RunStatus[]): string {
  return formatTable(
    ["OBJECT", "DATASET", "ROUTE", "STATUS", "ROWS", "LOADED", "REJECTED", "STAGE", "LOAD"],
    runs.map((run) => [
      run.key,
      run.dataset ?? "-",
      run.route ?? "-",
      stateText(run),
      run.rows ? String(run.rows.total) : "-",
      // Only what the latest attempt loaded: an earlier load shows in the status text and details.
      run.load && run.state === "loaded"
        ? String(run.load.alreadyLoaded ? 0 : run.load.inserted + run.load.updated)
        : "-",
      run.rows ? String(rejectedRows(run)) : "-",
      formatMs(run.durations.stageMs),
      formatMs(run.durations.loadMs),
    ]),
  );
}

/** Everything known about one run, one fact a line. */
export function describeRun(run: RunStatus): string {
  const lines = [
    `${run.key}`,
    `  run        ${run.runId}`,
    `  dataset    ${run.dataset ?? "-"}   route ${run.route ?? "-"}`,
    `  status     ${stateText(run)}`,
  ];
  if (run.message) lines.push(`  why        ${run.message}`);
  for (const rejection of run.firstRejections ?? []) {
    lines.push(`    line ${rejection.line} field ${rejection.field}: ${rejection.reason}`);
  }
  if (run.rows)
    lines.push(
      `  rows       ${run.rows.total} read, ${run.rows.staged} staged, ${run.rows.rejected} rejected`,
    );
  if (rejectedRows(run) > 0)
    lines.push(
      `  rejects    ${rejectedRows(run)} row(s) rejected: \`sluice rejects ${run.runId}\` lists line, field, reason and value`,
    );
  if (run.parts) lines.push(`  parts      ${partsText(run.parts)}`);
  if (run.unsplitReason) lines.push(`  one pass   not split: ${run.unsplitReason}`);
  if (run.load) lines.push(`  loaded     ${loadText(run.load)}`);
  if (run.load?.skipped) lines.push(`  skipped    ${run.load.skipped.message}`);
  if (run.earlierLoadedRunId)
    lines.push(
      `  earlier    ${run.earlierLoadedRunId === run.runId ? "an earlier load of this run" : `run ${run.earlierLoadedRunId}`} is loaded: its rows are in the table`,
    );
  if (run.unload) lines.push(`  unloaded   from ${run.unload.table}: ${run.unload.deleted} rows deleted`);
  if (run.ledger)
    lines.push(
      `  ledger     ${run.ledger.status}, ${run.ledger.attempts} deliveries, loaded at ${run.ledger.loadedAt ?? "-"}${run.ledger.unloadedAt ? `, unloaded at ${run.ledger.unloadedAt}` : ""}`,
    );
  for (const parked of run.deadLetters) {
    lines.push(
      `  DLQ        ${parked.queue} message ${parked.messageId} after ${parked.receiveCount} receives`,
    );
  }
  for (const [step, time] of Object.entries(run.times)) lines.push(`  ${step.padEnd(10)} ${time}`);
  return lines.join("\n");
}

/** A fanned-out run's parts: `3 of 8 parts staged` (`of 8+` while the plan is still growing). */
function partsText(parts: NonNullable<RunStatus["parts"]>): string {
  const total = parts.total === undefined ? `${parts.requested}+` : String(parts.total);
  return `${parts.staged} of ${total} parts staged`;
}

/** One load's counts, as a person reads them: only the counts that are not zero, besides the main three. */
function loadText(load: LoadView): string {
  const counts = [`${load.inserted} inserted`, `${load.updated} updated`, `${load.unchanged} unchanged`];
  if (load.deleted > 0) counts.push(`${load.deleted} deleted`);
  if (load.repeats > 0) counts.push(`${load.repeats} repeated keys`);
  if (load.rejected > 0) counts.push(`${load.rejected} rejected by the loader`);
  const notes = [
    load.alreadyLoaded ? " (already loaded)" : "",
    load.reloaded ? " (reloaded: the contract changed)" : "",
  ].join("");
  return `into ${load.table}: ${counts.join(", ")}${notes}`;
}
