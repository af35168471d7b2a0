import type { LoadContext } from "./load-context";
import { rejectionOf } from "./refusals";
import { STAGE_LINE, type StageTable } from "./staged-rows";
import { underSavepoint } from "./strategies/savepoint";
import type { LineRange, MoveCounts } from "./strategies/strategy";

const SAVEPOINT = "sluice_move";

function add(a: MoveCounts, b: MoveCounts): MoveCounts {
  return {
    inserted: a.inserted + b.inserted,
    updated: a.updated + b.updated,
    deleted: a.deleted + b.deleted,
  };
}

const NOTHING: MoveCounts = { inserted: 0, updated: 0, deleted: 0 };

/**
 * Runs `move` over every staged row so that a row the table refuses (a CHECK, UNIQUE or foreign
 * key constraint, a trigger raising, a value its column refuses: see `isRowRefusal`) is rejected
 * on its own, with Postgres's message and its line, and every other row still moves.
 *
 * The whole move is tried first in one statement under a savepoint, so a clean file pays one
 * savepoint. When the table refuses it, the move is retried over ranges of
 * `isolationChunkRows` lines in file order, each under its own savepoint; a refused range is
 * halved until the single row at fault is found, rejected (into `ctx.rejections`) and left
 * out. Two rows that refuse each other (a unique index the file repeats) reject the second: the
 * first has moved by the time the second is tried. Errors that are not the row's fault throw.
 */
export async function moveIsolatingRefusals(
  ctx: LoadContext,
  stage: StageTable,
  move: (range?: LineRange) => Promise<MoveCounts>,
): Promise<MoveCounts> {
  const whole = await underSavepoint(ctx.session, SAVEPOINT, () => move());
  if (!whole.refused) return whole.value;
  ctx.logger.info("the table refused some staged rows: moving them in chunks to reject only those", {
    sqlState: (whole.error as { code?: unknown }).code,
    error: (whole.error as Error).message,
  });
  // Ranges are read by line from here on: an index turns each into a short scan.
  await ctx.session.query(`CREATE INDEX ON ${stage.name} (${STAGE_LINE})`);
  const span = await lineSpan(ctx, stage);
  if (span.rows === 0) throw whole.error;
  let moved = NOTHING;
  for (let from = span.first; from <= span.last; from += ctx.config.isolationChunkRows) {
    const to = Math.min(from + ctx.config.isolationChunkRows - 1, span.last);
    moved = add(moved, await moveOrBisect(ctx, stage, move, { from, to }));
  }
  return moved;
}

async function moveOrBisect(
  ctx: LoadContext,
  stage: StageTable,
  move: (range?: LineRange) => Promise<MoveCounts>,
  range: LineRange,
): Promise<MoveCounts> {
  const attempt = await underSavepoint(ctx.session, SAVEPOINT, () => move(range));
  if (!attempt.refused) return attempt.value;
  const span = await lineSpan(ctx, stage, range);
  if (span.rows === 0) throw attempt.error;
  if (span.first === span.last) {
    // One line left (a producer repeating a line number would leave several rows on it).
    for (let i = 0; i < span.rows; i++) ctx.rejections.add(rejectionOf(attempt.error, span.first));
    return NOTHING;
  }
  const middle = Math.floor((span.first + span.last) / 2);
  const lower = await moveOrBisect(ctx, stage, move, { from: span.first, to: middle });
  return add(lower, await moveOrBisect(ctx, stage, move, { from: middle + 1, to: span.last }));
}

/** How many staged rows lie in `range` (or in all), and their first and last lines. */
async function lineSpan(
  ctx: LoadContext,
  stage: StageTable,
  range?: LineRange,
): Promise<{ rows: number; first: number; last: number }> {
  const where = range ? ` WHERE ${STAGE_LINE} BETWEEN $1 AND $2` : "";
  const result = await ctx.session.query<{
    rows: string | number;
    first: string | null;
    last: string | null;
  }>(
    `SELECT count(*) AS rows, min(${STAGE_LINE})::text AS first, max(${STAGE_LINE})::text AS last FROM ${stage.name}${where}`,
    range ? [range.from, range.to] : [],
  );
  const row = result.rows[0];
  return { rows: Number(row?.rows ?? 0), first: Number(row?.first ?? 0), last: Number(row?.last ?? 0) };
}
