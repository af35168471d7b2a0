import { createHash, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  columnsOf,
  contractFingerprint,
  createEvent,
  type DatasetContract,
  type DatasetContractInput,
  encodeCsvRow,
  formatStagingManifest,
  type ObjectRef,
  type ObjectStore,
  parseDatasetContract,
  runIdOf,
  type SluiceEvent,
  STAGED_LINE_COLUMN,
  type StagingManifest,
  stagingKeysOf,
} from "@sluice/core";

/** The staging bucket of the tests. */
export const STAGING_BUCKET = "sluice-staging-test";

/** An orders contract (the shipped one's fields) loading into `table`. */
export function ordersContract(
  table: string,
  overrides: Partial<DatasetContractInput> = {},
): DatasetContract {
  return parseDatasetContract({
    name: "orders",
    version: 1,
    match: { prefix: "orders/" },
    format: { type: "csv" },
    fields: [
      { name: "order_id", type: "integer", required: true },
      { name: "customer_id", type: "integer", required: true },
      { name: "status", type: "string", required: true },
      { name: "amount", type: "decimal", required: true },
      { name: "currency", type: "string", required: true },
      { name: "ordered_at", type: "timestamp", required: true },
      { name: "note", type: "string" },
    ],
    primaryKey: ["order_id"],
    table,
    ...overrides,
  });
}

/** One orders row in contract order, as the transform would stage it. */
export function orderRow(
  id: number,
  overrides: { status?: string; amount?: string; note?: string | null } = {},
) {
  return [
    String(id),
    String(1000 + (id % 97)),
    overrides.status ?? "paid",
    overrides.amount ?? `${id}.50`,
    "EUR",
    new Date(Date.UTC(2026, 10, 27, 10, 0, id % 60)).toISOString(),
    overrides.note === undefined ? `note, "quoted"\nline two of ${id}` : overrides.note,
  ];
}

/** Options of {@link stageRun}. */
export interface StageOptions {
  /** Raw object key (run id derives from it); a fresh one by default. */
  key?: string;
  /** The raw object's eTag (with the key, it makes the run id): fixed to stage one object again. */
  eTag?: string;
  /** The raw object's S3 sequencer (orders versions of one key). */
  sequencer?: string;
  /** Columns to claim in the manifest (default: `_sluice_line`, then the contract's). */
  manifestColumns?: string[];
  /**
   * The raw line of each row; by default as a CSV file with a header would have them (the
   * first record on line 2, a record spanning the lines its values' newlines add).
   */
  lines?: number[];
  /** Stage as producers did before line numbers: no `_sluice_line` column, no contract hash. */
  withoutLines?: boolean;
  /** The manifest's `contractHash` (default: the contract's fingerprint). */
  contractHash?: string;
  /** Rows the transform rejected (counted in the manifest's `rows` and `rejected`). */
  transformRejected?: number;
}

/** The raw lines of `rows` as a CSV file with a header puts them. */
export function csvLinesOf(rows: (string | null)[][]): number[] {
  let line = 2;
  return rows.map((row) => {
    const at = line;
    line += 1 + row.reduce((n, value) => n + (value?.split("\n").length ?? 1) - 1, 0);
    return at;
  });
}

/**
 * Stages `rows` the way transform does (gzip CSV, `_sluice_line` first, manifest written last)
 * and returns the `sluice.object.staged` event that announces them.
 */
export async function stageRun(
  store: ObjectStore,
  contract: DatasetContract,
  rows: (string | null)[][],
  options: StageOptions = {},
): Promise<SluiceEvent<"sluice.object.staged">> {
  const object: ObjectRef = {
    bucket: "sluice-raw-test",
    key: options.key ?? `orders/${randomUUID()}.csv`,
    size: 1234,
    eTag: options.eTag ?? randomUUID().replace(/-/g, ""),
  };
  if (options.sequencer) object.sequencer = options.sequencer;
  const lines = options.lines ?? csvLinesOf(rows);
  const staged = options.withoutLines ? rows : rows.map((row, i) => [String(lines[i]), ...row]);
  const gz = gzipSync(Buffer.from(staged.map((row) => encodeCsvRow(row)).join("")));
  return stageCompressedRows(store, contract, object, gz, rows.length, {
    manifestColumns:
      options.manifestColumns ??
      (options.withoutLines ? columnsOf(contract) : [STAGED_LINE_COLUMN, ...columnsOf(contract)]),
    contractHash: options.withoutLines ? null : (options.contractHash ?? contractFingerprint(contract)),
    transformRejected: options.transformRejected ?? 0,
  });
}

/**
 * Stages already gzipped CSV rows of `object` (rows object, then the manifest) and returns the
 * `sluice.object.staged` event that announces them. The rows carry `_sluice_line` first unless
 * `manifestColumns` says otherwise.
 */
export async function stageCompressedRows(
  store: ObjectStore,
  contract: DatasetContract,
  object: ObjectRef,
  gz: Buffer,
  rowCount: number,
  options: {
    manifestColumns?: string[];
    /** The manifest's `contractHash`: the contract's fingerprint by default, none when `null`. */
    contractHash?: string | null;
    transformRejected?: number;
  } = {},
): Promise<SluiceEvent<"sluice.object.staged">> {
  const runId = runIdOf(object);
  const keys = stagingKeysOf(contract.name, runId);
  await store.put(STAGING_BUCKET, keys.rowsKey, gz);
  const rejected = options.transformRejected ?? 0;
  const counts = { rows: rowCount + rejected, staged: rowCount, rejected };
  const manifest: StagingManifest = {
    runId,
    dataset: contract.name,
    contractVersion: contract.version,
    object,
    route: "lambda",
    producer: "transform",
    columns: options.manifestColumns ?? [STAGED_LINE_COLUMN, ...columnsOf(contract)],
    format: "csv+gzip",
    counts,
    rowsSha256: createHash("sha256").update(gz).digest("hex"),
    rowsBytes: gz.length,
    createdAt: new Date().toISOString(),
  };
  const contractHash =
    options.contractHash === undefined ? contractFingerprint(contract) : options.contractHash;
  if (contractHash !== null) manifest.contractHash = contractHash;
  await store.put(STAGING_BUCKET, keys.manifestKey, formatStagingManifest(manifest));
  return createEvent("sluice.object.staged", "sluice/transform", {
    runId,
    object,
    dataset: contract.name,
    contractVersion: contract.version,
    route: "lambda",
    staged: { bucket: STAGING_BUCKET, ...keys },
    counts,
  });
}
