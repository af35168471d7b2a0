import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { columnsOf, FIELD_TYPES, formatObjectRef, STAGED_LINE_COLUMN } from "@sluice/core";
import { ChecksumMismatchError } from "./errors";
import type { LoadContext } from "./load-context";
import { identList, quoteIdent } from "./sql";
import type { RowsObject } from "./staged-rows-source";
import { FirstFieldRemover } from "./targets/csv-records";

/** Name of the per-transaction temporary table staged rows are copied into. */
const STAGE_TABLE = "sluice_staged_rows";

/** The quoted line-number column of the stage table. */
export const STAGE_LINE = quoteIdent(STAGED_LINE_COLUMN);

/** The staged rows in the transaction's temporary table. */
export interface StageTable {
  /** The table's quoted name, ready for SQL. */
  name: string;
  /** Rows copied into it (the manifest's `counts.staged`). */
  rows: number;
}

/** The parts of a {@link LoadContext} that reading the staged rows needs. */
type StagedRowsReader = Pick<LoadContext, "rows" | "contract" | "session" | "store">;

/**
 * Creates the transaction's temporary table and COPYs the staged rows into it (see
 * {@link copyStagedRows}). Its first column is `_sluice_line`, the row's line in the raw object
 * (runs staged before line numbers are numbered 1..n in file order instead), then the
 * contract's fields with their base types: a constraint of the target column (a decimal's
 * precision, a CHECK) is met when the rows move on, where a refused row can be told apart.
 */
export async function copyIntoStageTable(ctx: StagedRowsReader): Promise<StageTable> {
  const name = quoteIdent(STAGE_TABLE);
  const line = ctx.rows.lines
    ? `${STAGE_LINE} bigint NOT NULL`
    : `${STAGE_LINE} bigint GENERATED ALWAYS AS IDENTITY`;
  const columns = ctx.contract.fields.map((field) => `${quoteIdent(field.name)} ${FIELD_TYPES[field.type]}`);
  // Temporary tables skip the WAL; ON COMMIT DROP (and rollback) removes it with the transaction.
  await ctx.session.query(`CREATE TEMP TABLE ${name} (${[line, ...columns].join(", ")}) ON COMMIT DROP`);
  return { name, rows: await copyStagedRows(ctx, name, { lines: true }) };
}

/** Counts and hashes the bytes flowing through, without changing them. */
class DigestingStream extends Transform {
  readonly hash = createHash("sha256");
  bytes = 0;
  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    this.push(chunk);
    callback();
  }
}

/**
 * COPYs the staged rows into `into` (a quoted table name): each rows object of the run in order
 * (one, or each of its parts), one COPY statement per object in the load's transaction, each
 * hashed on the way and checked against what its manifest says (SHA-256, size, rows). A part
 * still being staged is waited for, so the parts already in are copied meanwhile. `lines` says
 * whether `into` has a `_sluice_line` column to take the staged line numbers; when it has none
 * they are cut off on the way. Returns the rows copied.
 *
 * @throws ChecksumMismatchError (retry) when a rows object is not the one its manifest describes.
 */
export async function copyStagedRows(
  ctx: StagedRowsReader,
  into: string,
  options: { lines: boolean },
): Promise<number> {
  const stagedLines = ctx.rows.lines;
  const columns = columnsOf(ctx.contract);
  const copyColumns = stagedLines && options.lines ? [STAGED_LINE_COLUMN, ...columns] : columns;
  const copySql = `COPY ${into} (${identList(copyColumns)}) FROM STDIN (FORMAT csv)`;
  let copied = 0;
  for await (const object of ctx.rows.objects()) {
    copied += await copyRowsObject(ctx, object, copySql, stagedLines && !options.lines);
  }
  return copied;
}

/**
 * Output buffer of the staged rows' inflate, 1 MiB: each buffer filled is a trip through the
 * thread pool and back, and locally staged rows are stored, not deflated (gzip level 0), so
 * inflate is about a copy and the trips are most of its cost. A 256 MB fan-out end to end:
 * 20.7 s against 21.8 s with 64 KiB (2026-12-02, two runs each).
 */
const INFLATE_CHUNK_BYTES = 1024 * 1024;

/** COPYs one rows object with `copySql` and checks it against its manifest entry; returns its rows. */
async function copyRowsObject(
  ctx: StagedRowsReader,
  object: RowsObject,
  copySql: string,
  cutLines: boolean,
): Promise<number> {
  const { bucket, key } = object;
  const digest = new DigestingStream();
  const stages: Transform[] = [digest, createGunzip({ chunkSize: INFLATE_CHUNK_BYTES })];
  if (cutLines) stages.push(new FirstFieldRemover());
  const copied = await ctx.session.copyFrom(copySql, chain(await ctx.store.get(bucket, key), stages));
  const where = formatObjectRef({ bucket, key });
  const sha256 = digest.hash.digest("hex");
  if (sha256 !== object.sha256 || digest.bytes !== object.bytes) {
    throw new ChecksumMismatchError(
      `staged rows ${where} do not match ${object.describedIn}: SHA-256 ${sha256} (${digest.bytes} bytes) where ${object.sha256} (${object.bytes} bytes) was expected`,
      {
        bucket,
        key,
        sha256,
        bytes: digest.bytes,
        expectedSha256: object.sha256,
        expectedBytes: object.bytes,
      },
    );
  }
  if (copied !== object.rows) {
    throw new ChecksumMismatchError(
      `staged rows ${where} hold ${copied} rows but ${object.describedIn} says ${object.rows}`,
      { bucket, key, rows: copied, expectedRows: object.rows },
    );
  }
  return copied;
}

/**
 * Pipes `source` through `stages` and returns the last. `pipe` alone neither forwards errors nor
 * closes upstream: a failing download must fail the COPY (not hang it), and a failed COPY must
 * release the download's socket.
 */
function chain(source: Readable, stages: Transform[]): Readable {
  const upstream: Readable[] = [source, ...stages];
  const last = upstream.pop() as Readable;
  let piped: Readable = source;
  for (const stage of stages) piped = piped.pipe(stage);
  for (const stream of upstream) stream.once("error", (error) => last.destroy(error));
  last.once("close", () => {
    for (const stream of upstream) stream.destroy();
  });
  return last;
}
