import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { columnsOf, formatObjectRef, STAGED_LINE_COLUMN } from "@sluice/core";
import { ChecksumMismatchError } from "./errors";
import type { LoadContext } from "./load-context";
import { columnTypeOf } from "./schema";
import { identList, quoteIdent } from "./sql";
import { dropStagedLineColumn } from "./staged-line-column";

/** Name of the per-transaction temporary table staged rows are copied into. */
const STAGE_TABLE = "sluice_staged_rows";

/** The staged rows in the transaction's temporary table. */
export interface StageTable {
  /** The table's quoted name, ready for SQL. */
  name: string;
  /** Rows copied into it (the manifest's `counts.staged`). */
  rows: number;
}

/** The parts of a {@link LoadContext} that reading the staged rows needs. */
type StagedRowsSource = Pick<LoadContext, "run" | "manifest" | "contract" | "session" | "store">;

/**
 * Creates the transaction's temporary table with the staged line (`_sluice_line`, NULL for runs
 * staged before rows carried it) and the contract's columns, and COPYs the staged rows into it
 * (see {@link copyStagedRows}).
 */
export async function copyIntoStageTable(ctx: StagedRowsSource): Promise<StageTable> {
  const name = quoteIdent(STAGE_TABLE);
  const columns = ctx.contract.fields.map((field) => `${quoteIdent(field.name)} ${columnTypeOf(field)}`);
  // Temporary tables skip the WAL; ON COMMIT DROP (and rollback) removes it with the transaction.
  await ctx.session.query(
    `CREATE TEMP TABLE ${name} (${quoteIdent(STAGED_LINE_COLUMN)} bigint, ${columns.join(", ")}) ON COMMIT DROP`,
  );
  return { name, rows: await copyStagedRows(ctx, name, { hasLineColumn: true }) };
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
 * COPYs the staged rows into `into` (a quoted table name) while hashing the compressed bytes,
 * then checks SHA-256, size and row count against the manifest. Into a table without a
 * `_sluice_line` column (`hasLineColumn` false), the rows' leading line is dropped on the way.
 *
 * @throws ChecksumMismatchError (retry) when the rows object is not the one the manifest describes.
 */
export async function copyStagedRows(
  ctx: StagedRowsSource,
  into: string,
  { hasLineColumn }: { hasLineColumn: boolean },
): Promise<number> {
  const { manifest } = ctx;
  const { bucket, rowsKey } = ctx.run.staged;
  const source = await ctx.store.get(bucket, rowsKey);
  const digest = new DigestingStream();
  const stagedWithLine = manifest.columns[0] === STAGED_LINE_COLUMN;
  const gunzip = createGunzip();
  const rows = stagedWithLine && !hasLineColumn ? gunzip.pipe(dropStagedLineColumn()) : gunzip;
  source.pipe(digest).pipe(gunzip);
  linkLifetimes(source, digest, rows, gunzip);
  const columns = hasLineColumn ? manifest.columns : columnsOf(ctx.contract);
  const copied = await ctx.session.copyFrom(
    `COPY ${into} (${identList(columns)}) FROM STDIN (FORMAT csv)`,
    rows,
  );
  const where = formatObjectRef({ bucket, key: rowsKey });
  const sha256 = digest.hash.digest("hex");
  if (sha256 !== manifest.rowsSha256 || digest.bytes !== manifest.rowsBytes) {
    throw new ChecksumMismatchError(
      `staged rows ${where} do not match their manifest: SHA-256 ${sha256} (${digest.bytes} bytes), manifest says ${manifest.rowsSha256} (${manifest.rowsBytes} bytes)`,
      {
        bucket,
        key: rowsKey,
        sha256,
        bytes: digest.bytes,
        expectedSha256: manifest.rowsSha256,
        expectedBytes: manifest.rowsBytes,
      },
    );
  }
  if (copied !== manifest.counts.staged) {
    throw new ChecksumMismatchError(
      `staged rows ${where} hold ${copied} rows but the manifest says ${manifest.counts.staged}`,
      { bucket, key: rowsKey, rows: copied, expectedRows: manifest.counts.staged },
    );
  }
  return copied;
}

/**
 * `pipe` alone neither forwards errors nor closes upstream: a failing download must fail the
 * COPY (not hang it), and a failed COPY must release the download's socket.
 */
function linkLifetimes(source: Readable, digest: Transform, rows: Readable, gunzip: Transform): void {
  source.once("error", (error) => rows.destroy(error));
  digest.once("error", (error) => rows.destroy(error));
  if (gunzip !== rows) gunzip.once("error", (error) => rows.destroy(error));
  rows.once("close", () => {
    gunzip.destroy();
    digest.destroy();
    source.destroy();
  });
}
