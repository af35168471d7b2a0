import { type LoadTarget, parseEvent, parseS3EventMessage, runIdOf, unwrapSqsBody } from "@sluice/core";
import { ledgerTableOf, qualifiedName } from "@sluice/loader";

/** A run a dead-lettered message is about. */
export interface ParkedRun {
  runId: string;
  bucket: string;
  key: string;
  dataset?: string;
}

/** The runs a dead-lettered message is about: a Sluice event, or an S3 notification (listener DLQ). */
export function runsInMessage(body: string): ParkedRun[] {
  let inner: unknown;
  try {
    inner = unwrapSqsBody(body);
  } catch {
    return [];
  }
  try {
    const event = parseEvent(inner);
    const data = event.data as { dataset?: string };
    return [
      {
        runId: event.data.runId,
        bucket: event.data.object.bucket,
        key: event.data.object.key,
        ...(data.dataset ? { dataset: data.dataset } : {}),
      },
    ];
  } catch {
    // Not a Sluice event: perhaps the S3 notification the listener could not handle.
  }
  try {
    return parseS3EventMessage(inner).map(({ object }) => ({
      runId: runIdOf(object),
      bucket: object.bucket,
      key: object.key,
    }));
  } catch {
    return [];
  }
}

/** A run's row in the loader's ledger, as status shows it. */
export interface LedgerView {
  status: string;
  attempts: number;
  loadedAt: string | null;
  /** When its rows were unloaded (`sluice unload`); null when never, absent in a ledger older than unloads. */
  unloadedAt?: string | null;
  inserted: number;
  updated: number;
}

/**
 * The ledger rows of `runIds`, by run id; empty when the ledger does not exist yet. Reads every
 * column (`SELECT *`), so a ledger made before a column existed is read too.
 */
export async function readLedgerViews(
  target: LoadTarget,
  schema: string,
  runIds: readonly string[],
): Promise<Map<string, LedgerView>> {
  const views = new Map<string, LedgerView>();
  const table = qualifiedName(ledgerTableOf(schema));
  const exists = await target.query<{ found: string | null }>("SELECT to_regclass($1)::text AS found", [
    table,
  ]);
  if (!exists.rows[0]?.found) return views;
  const result = await target.query<Record<string, unknown>>(
    `SELECT * FROM ${table} WHERE run_id = ANY($1::text[])`,
    [[...runIds]],
  );
  for (const row of result.rows) {
    const view: LedgerView = {
      status: String(row.status),
      attempts: Number(row.attempts),
      loadedAt: isoOrNull(row.loaded_at),
      inserted: Number(row.inserted ?? 0),
      updated: Number(row.updated ?? 0),
    };
    if ("unloaded_at" in row) view.unloadedAt = isoOrNull(row.unloaded_at);
    views.set(String(row.run_id), view);
  }
  return views;
}

function isoOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : new Date(value as string | Date).toISOString();
}
