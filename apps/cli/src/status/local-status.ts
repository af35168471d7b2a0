import { stat } from "node:fs/promises";
import type { LoadTarget } from "@sluice/core";
import { createLoadTarget, isServerUrl } from "@sluice/loader";
import { EventJournal, LocalBus, localStateLayout } from "@sluice/local";
import type { LocalRuntime } from "../runtime/local-runtime";
import { runtimeHolding } from "../runtime/state-lock";
import { collectRunStatuses, ledgerUnavailableNote, type RunStatus } from "./object-status";

/** The queues of a state directory, opened without a runtime (to read or redrive their DLQs; `fsync` as `--fsync`). */
export async function openLocalQueues(stateDir: string, fsync = false): Promise<LocalBus> {
  const bus = new LocalBus({ queuesDir: localStateLayout(stateDir).queuesDir, fsync });
  await bus.openExisting();
  return bus;
}

/**
 * Status from a state directory without running the pipeline: the journal, the dead-letter
 * queues, and the ledger (skipped, with a `note`, when a running runtime holds the embedded
 * database).
 */
export async function readLocalStatus(
  options: { stateDir: string; databaseUrl?: string; since?: string },
  note: (text: string) => void,
): Promise<RunStatus[]> {
  const layout = localStateLayout(options.stateDir);
  const bus = await openLocalQueues(options.stateDir);
  const databaseUrl = options.databaseUrl ?? (process.env.DATABASE_URL || layout.pgliteDir);
  let target: LoadTarget | undefined;
  const embedded = !isServerUrl(databaseUrl);
  if (embedded && (await runtimeHolding(options.stateDir)) !== undefined) {
    note("note: a running sluice runtime holds the embedded database; status shows events and DLQs only");
  } else if (!embedded || (await exists(databaseUrl))) {
    target = createLoadTarget(databaseUrl);
  }
  try {
    return await collectRunStatuses({
      events: new EventJournal(layout.journalFile).entries(),
      deadLetterQueues: bus.deadLetterQueues(),
      ...(target ? { target } : {}),
      ...(options.since ? { since: options.since } : {}),
      onLedgerUnavailable: ledgerUnavailableNote(note),
    });
  } finally {
    await target?.close();
  }
}

/**
 * Every run a running runtime's events, ledger and DLQs tell of (only events since `since`, when
 * given). A database that cannot be reached leaves the ledger out, said through `note`.
 */
export function runtimeRunStatuses(
  runtime: LocalRuntime,
  since?: string,
  note?: (text: string) => void,
): Promise<RunStatus[]> {
  return collectRunStatuses({
    ...runtime.statusSources(),
    ...(since ? { since } : {}),
    ...(note ? { onLedgerUnavailable: ledgerUnavailableNote(note) } : {}),
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
