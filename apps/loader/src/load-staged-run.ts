import { createHash } from "node:crypto";
import { type Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import {
  columnsOf,
  createEvent,
  type DatasetContract,
  type DatasetRegistry,
  type EventPublisher,
  formatObjectRef,
  type LoadTarget,
  type Logger,
  type ObjectStore,
  type SluiceEvent,
  type SqlSession,
  type StagingManifest,
} from "@sluice/core";
import { type LoaderConfig, loaderConfig } from "./config";
import { ChecksumMismatchError, StagedRunMismatchError } from "./errors";
import { ensureLedger, type LedgerRun, ledgerTableOf, lockRun, markLoaded } from "./ledger";
import { columnTypeOf, ensureTargetTable } from "./schema";
import { displayName, identList, qualifiedName, quoteIdent, type TableName } from "./sql";

/** The `source` of events the loader publishes. */
export const LOADER_SOURCE = "sluice/loader";

/** Name of the per-transaction temporary table staged rows are copied into. */
const STAGE_TABLE = "sluice_staged_rows";

/** The ports {@link loadStagedRun} works through. */
export interface LoaderDeps {
  store: ObjectStore;
  target: LoadTarget;
  registry: DatasetRegistry;
  publisher: EventPublisher;
  logger: Logger;
  /** Tuning; {@link DEFAULT_LOADER_CONFIG} when omitted. */
  config?: Partial<LoaderConfig>;
}

/** What one load did. */
export interface LoadOutcome {
  runId: string;
  dataset: string;
  /** Schema-qualified target table. */
  table: string;
  rowsStaged: number;
  inserted: number;
  updated: number;
  /** Staged rows that changed nothing: identical to the table's row, or a duplicate key in the file. */
  unchanged: number;
  /** True when the run was loaded by an earlier delivery and this one changed nothing. */
  alreadyLoaded: boolean;
  /** Nullable contract fields this load added to an existing table. */
  addedColumns: string[];
  /** The `sluice.object.loaded` event published. */
  event: SluiceEvent<"sluice.object.loaded">;
}

/**
 * Loads one staged run into Postgres exactly once, then publishes `sluice.object.loaded`.
 *
 * Reads the run's manifest and checks it against the event and the deployed contract, then in
 * ONE transaction: creates the ledger and the target table when missing (or checks the table
 * can take the contract), locks the run's ledger row, and — unless an earlier delivery already
 * loaded the run — COPYs the gunzipped staged rows into a temporary table while hashing the
 * compressed bytes, refuses them if the SHA-256, size or row count differ from the manifest,
 * merges them into the target on the primary key (rows that did not change are not rewritten;
 * a file of new keys only is a plain insert, see {@link LoaderConfig.insertNewKeysFirst}),
 * and records the counts in the ledger. An empty target table skips the temporary table: the
 * rows are COPYed straight into it (see {@link LoaderConfig.directCopyIntoEmptyTable}). Any failure rolls everything back, so a retry starts clean.
 *
 * @throws ChecksumMismatchError (retry) when the staged object is not the one the manifest describes.
 * @throws StagedRunMismatchError / SchemaMismatchError (dead-letter) when the run or the table
 *   does not fit the contract.
 */
export async function loadStagedRun(
  event: SluiceEvent<"sluice.object.staged">,
  deps: LoaderDeps,
): Promise<LoadOutcome> {
  const config = loaderConfig(deps.config);
  const { data } = event;
  const contract = deps.registry.get(data.dataset);
  const manifest = await readManifest(deps.store, event);
  checkManifest(manifest, event, contract);
  const ledger = ledgerTableOf(config.ledgerSchema);
  const run: LedgerRun = {
    runId: data.runId,
    dataset: data.dataset,
    objectBucket: data.object.bucket,
    objectKey: data.object.key,
    table: contract.table,
    contractVersion: manifest.contractVersion,
  };
  if (data.object.versionId !== undefined) run.objectVersionId = data.object.versionId;
  if (data.object.eTag !== undefined) run.objectETag = data.object.eTag;
  const log = { runId: data.runId, dataset: data.dataset };

  const result = await deps.target.transaction(async (session) => {
    await session.query("SELECT set_config('lock_timeout', $1, true)", [`${config.lockTimeoutMs}ms`]);
    await ensureLedger(session, ledger);
    const entry = await lockRun(session, ledger, run);
    if (entry.status === "loaded") {
      return { alreadyLoaded: true as const, entry };
    }
    const target = await ensureTargetTable(session, contract);
    run.table = displayName(target.name);
    const counts =
      (config.directCopyIntoEmptyTable && (target.created || (await isEmpty(session, target.name)))
        ? await copyIntoEmptyTable(session, deps.store, event, manifest, contract, target.name)
        : undefined) ??
      (await copyAndMerge(session, deps.store, event, manifest, contract, target.name, config));
    await markLoaded(session, ledger, run, counts);
    return { alreadyLoaded: false as const, counts, target };
  });

  let outcome: Omit<LoadOutcome, "event">;
  if (result.alreadyLoaded) {
    const { entry } = result;
    outcome = {
      runId: data.runId,
      dataset: data.dataset,
      table: entry.table,
      rowsStaged: entry.rowsStaged,
      inserted: entry.inserted,
      updated: entry.updated,
      unchanged: entry.unchanged,
      alreadyLoaded: true,
      addedColumns: [],
    };
    deps.logger.info("already loaded: this delivery changed nothing", {
      ...log,
      loadedAt: entry.loadedAt?.toISOString(),
      deliveries: entry.attempts,
      inserted: entry.inserted,
      updated: entry.updated,
      unchanged: entry.unchanged,
    });
  } else {
    outcome = {
      runId: data.runId,
      dataset: data.dataset,
      table: displayName(result.target.name),
      ...result.counts,
      alreadyLoaded: false,
      addedColumns: result.target.addedColumns,
    };
    if (result.target.created) deps.logger.info("created target table", { ...log, table: outcome.table });
    if (result.target.addedColumns.length > 0) {
      deps.logger.warn("added nullable columns to the target table", {
        ...log,
        table: outcome.table,
        columns: result.target.addedColumns,
      });
    }
    deps.logger.info("loaded", { ...log, table: outcome.table, ...result.counts });
  }

  const loaded = createEvent("sluice.object.loaded", LOADER_SOURCE, {
    runId: data.runId,
    object: data.object,
    dataset: data.dataset,
    table: outcome.table,
    inserted: outcome.inserted,
    updated: outcome.updated,
    unchanged: outcome.unchanged,
    alreadyLoaded: outcome.alreadyLoaded,
  });
  await deps.publisher.publish(loaded);
  return { ...outcome, event: loaded };
}

async function readManifest(
  store: ObjectStore,
  event: SluiceEvent<"sluice.object.staged">,
): Promise<StagingManifest> {
  const { bucket, manifestKey } = event.data.staged;
  const body = await store.get(bucket, manifestKey);
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const text = Buffer.concat(chunks).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new StagedRunMismatchError(
      `manifest ${formatObjectRef({ bucket, key: manifestKey })} is not valid JSON`,
      { bucket, key: manifestKey },
      { cause },
    );
  }
  const manifest = value as Partial<StagingManifest>;
  if (
    typeof manifest !== "object" ||
    manifest === null ||
    !Array.isArray(manifest.columns) ||
    typeof manifest.rowsSha256 !== "string" ||
    typeof manifest.rowsBytes !== "number" ||
    typeof manifest.counts?.staged !== "number" ||
    typeof manifest.contractVersion !== "number"
  ) {
    throw new StagedRunMismatchError(
      `manifest ${formatObjectRef({ bucket, key: manifestKey })} lacks columns, rowsSha256, rowsBytes, counts.staged or contractVersion`,
      { bucket, key: manifestKey },
    );
  }
  return manifest as StagingManifest;
}

function checkManifest(
  manifest: StagingManifest,
  event: SluiceEvent<"sluice.object.staged">,
  contract: DatasetContract,
): void {
  const where = formatObjectRef({ bucket: event.data.staged.bucket, key: event.data.staged.manifestKey });
  if (manifest.runId !== event.data.runId || manifest.dataset !== event.data.dataset) {
    throw new StagedRunMismatchError(
      `manifest ${where} describes run ${manifest.runId} of ${manifest.dataset}, not run ${event.data.runId} of ${event.data.dataset}`,
      { manifestRunId: manifest.runId, runId: event.data.runId },
    );
  }
  const expected = columnsOf(contract);
  const same =
    manifest.columns.length === expected.length &&
    manifest.columns.every((column, i) => column === expected[i]);
  if (!same) {
    throw new StagedRunMismatchError(
      `staged columns (${manifest.columns.join(", ")}) of ${where} (contract v${manifest.contractVersion}) do not match contract ${contract.name} v${contract.version} (${expected.join(", ")})`,
      { staged: manifest.columns, contract: expected, dataset: contract.name },
    );
  }
}

/** How a run's rows went in: straight COPY, plain insert of new keys, or upsert merge. */
type LoadMethod = "direct-copy" | "insert" | "merge";

/** Rows counted by one load. */
interface LoadCounts {
  method: LoadMethod;
  rowsStaged: number;
  inserted: number;
  updated: number;
  unchanged: number;
}

/** SQLSTATE of a unique violation (a key the table or the file already holds). */
const UNIQUE_VIOLATION = "23505";
const DIRECT_COPY_SAVEPOINT = "sluice_direct_copy";
const INSERT_NEW_SAVEPOINT = "sluice_insert_new";

async function isEmpty(session: SqlSession, table: TableName): Promise<boolean> {
  const result = await session.query<{ empty: boolean }>(
    `SELECT NOT EXISTS (SELECT 1 FROM ${qualifiedName(table)}) AS empty`,
  );
  return result.rows[0]?.empty === true;
}

/**
 * The fast path for an empty table: COPY straight into it, every row an insert. Returns
 * `undefined` (rolled back to a savepoint) when a key repeats within the file or a concurrent
 * load committed the same key first; the caller then merges.
 */
async function copyIntoEmptyTable(
  session: SqlSession,
  store: ObjectStore,
  event: SluiceEvent<"sluice.object.staged">,
  manifest: StagingManifest,
  contract: DatasetContract,
  table: TableName,
): Promise<LoadCounts | undefined> {
  return unlessKeyExists(session, DIRECT_COPY_SAVEPOINT, async () => {
    const copied = await copyVerified(session, store, event, manifest, contract, qualifiedName(table));
    return { method: "direct-copy", rowsStaged: copied, inserted: copied, updated: 0, unchanged: 0 };
  });
}

/**
 * Runs `attempt` under a savepoint: its result, or `undefined` after rolling back to the
 * savepoint when it hit a unique violation (a key the table or the file already holds). Any
 * other error propagates and fails the transaction.
 */
async function unlessKeyExists<T>(
  session: SqlSession,
  savepoint: string,
  attempt: () => Promise<T>,
): Promise<T | undefined> {
  await session.query(`SAVEPOINT ${savepoint}`);
  try {
    const result = await attempt();
    await session.query(`RELEASE SAVEPOINT ${savepoint}`);
    return result;
  } catch (error) {
    if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
    await session.query(`ROLLBACK TO SAVEPOINT ${savepoint}`);
    return undefined;
  }
}

/**
 * Inserts the staged rows with a plain `INSERT … SELECT` when every key is new to the table and
 * unique within the file; otherwise (a unique violation) rolls back to a savepoint and returns
 * `undefined`, and the caller merges.
 */
async function insertIfAllKeysNew(
  session: SqlSession,
  contract: DatasetContract,
  table: TableName,
): Promise<{ inserted: number; updated: number } | undefined> {
  const columns = identList(columnsOf(contract));
  return unlessKeyExists(session, INSERT_NEW_SAVEPOINT, async () => {
    const result = await session.query(
      `INSERT INTO ${qualifiedName(table)} (${columns}) SELECT ${columns} FROM ${quoteIdent(STAGE_TABLE)}`,
    );
    return { inserted: result.rowCount, updated: 0 };
  });
}

/** The general path: COPY into a temporary table, then merge it into the target. */
async function copyAndMerge(
  session: SqlSession,
  store: ObjectStore,
  event: SluiceEvent<"sluice.object.staged">,
  manifest: StagingManifest,
  contract: DatasetContract,
  table: TableName,
  config: LoaderConfig,
): Promise<LoadCounts> {
  const columns = contract.fields.map((field) => `${quoteIdent(field.name)} ${columnTypeOf(field)}`);
  // Temporary tables skip the WAL; ON COMMIT DROP (and rollback) removes it with the transaction.
  await session.query(`CREATE TEMP TABLE ${quoteIdent(STAGE_TABLE)} (${columns.join(", ")}) ON COMMIT DROP`);
  const rowsStaged = await copyVerified(session, store, event, manifest, contract, quoteIdent(STAGE_TABLE));
  await session.query("SELECT set_config('work_mem', $1, true)", [config.mergeWorkMem]);
  const inserted = config.insertNewKeysFirst ? await insertIfAllKeysNew(session, contract, table) : undefined;
  const merged = inserted ?? (await mergeStagedRows(session, contract, table));
  return {
    method: inserted ? "insert" : "merge",
    rowsStaged,
    inserted: merged.inserted,
    updated: merged.updated,
    unchanged: rowsStaged - merged.inserted - merged.updated,
  };
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
 * then checks SHA-256, size and row count against the manifest.
 */
async function copyVerified(
  session: SqlSession,
  store: ObjectStore,
  event: SluiceEvent<"sluice.object.staged">,
  manifest: StagingManifest,
  contract: DatasetContract,
  into: string,
): Promise<number> {
  const { bucket, rowsKey } = event.data.staged;
  const source = await store.get(bucket, rowsKey);
  const digest = new DigestingStream();
  const rows = source.pipe(digest).pipe(createGunzip());
  linkLifetimes(source, digest, rows);
  const copied = await session.copyFrom(
    `COPY ${into} (${identList(columnsOf(contract))}) FROM STDIN (FORMAT csv)`,
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
function linkLifetimes(source: Readable, digest: Transform, rows: Readable): void {
  source.once("error", (error) => rows.destroy(error));
  digest.once("error", (error) => rows.destroy(error));
  rows.once("close", () => {
    digest.destroy();
    source.destroy();
  });
}

/**
 * Merges the temporary table into the target with one `INSERT … SELECT DISTINCT ON (pk) …
 * ON CONFLICT (pk) DO UPDATE … WHERE (row) IS DISTINCT FROM (excluded row)`: new keys are
 * inserted, changed rows updated, identical rows not rewritten (their xmin stays). The last
 * occurrence of a key in the file wins (ctid order of a freshly copied temporary table is file
 * order). `xmax = 0` on a returned row tells an insert from an update; the CTE folds them to
 * two counts so a million-row load returns one row, not a million.
 */
async function mergeStagedRows(
  session: SqlSession,
  contract: DatasetContract,
  table: TableName,
): Promise<{ inserted: number; updated: number }> {
  const columns = columnsOf(contract);
  const key = contract.primaryKey;
  const others = columns.filter((column) => !key.includes(column));
  const target = qualifiedName(table);
  const keyList = identList(key);
  const conflict =
    others.length === 0
      ? "DO NOTHING"
      : `DO UPDATE SET ${others.map((c) => `${quoteIdent(c)} = EXCLUDED.${quoteIdent(c)}`).join(", ")}
         WHERE ROW(${others.map((c) => `t.${quoteIdent(c)}`).join(", ")})
               IS DISTINCT FROM ROW(${others.map((c) => `EXCLUDED.${quoteIdent(c)}`).join(", ")})`;
  const sql = `WITH merged AS (
      INSERT INTO ${target} AS t (${identList(columns)})
      SELECT DISTINCT ON (${keyList}) ${identList(columns)}
        FROM ${quoteIdent(STAGE_TABLE)}
       ORDER BY ${keyList}, ctid DESC
      ON CONFLICT (${keyList}) ${conflict}
      RETURNING (t.xmax = 0) AS inserted
    )
    SELECT count(*) FILTER (WHERE inserted) AS inserted, count(*) FILTER (WHERE NOT inserted) AS updated
      FROM merged`;
  const result = await session.query<{ inserted: string | number; updated: string | number }>(sql);
  const row = result.rows[0];
  return { inserted: Number(row?.inserted ?? 0), updated: Number(row?.updated ?? 0) };
}
