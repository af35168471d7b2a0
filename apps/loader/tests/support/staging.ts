import { createHash, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
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
  type StagingManifest,
  stagedColumnsOf,
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
  /** Columns to claim in the manifest (default: `_sluice_line`, then the contract's fields). */
  manifestColumns?: string[];
}

/**
 * Stages `rows` the way transform does (gzip CSV, each row led by its line as if read from a CSV
 * with a header: 2, 3, …; manifest written last) and returns the `sluice.object.staged` event
 * that announces them.
 */
export async function stageRun(
  store: ObjectStore,
  contract: DatasetContract,
  rows: (string | null)[][],
  options: StageOptions = {},
): Promise<SluiceEvent<"sluice.object.staged">> {
  const object = {
    bucket: "sluice-raw-test",
    key: options.key ?? `orders/${randomUUID()}.csv`,
    size: 1234,
    eTag: randomUUID().replace(/-/g, ""),
  };
  const gz = gzipSync(Buffer.from(rows.map((row, i) => encodeCsvRow([String(i + 2), ...row])).join("")));
  return stageCompressedRows(store, contract, object, gz, rows.length, options.manifestColumns);
}

/**
 * Stages already gzipped CSV rows of `object` (rows object, then the manifest) and returns the
 * `sluice.object.staged` event that announces them.
 */
export async function stageCompressedRows(
  store: ObjectStore,
  contract: DatasetContract,
  object: ObjectRef,
  gz: Buffer,
  rowCount: number,
  manifestColumns: string[] = stagedColumnsOf(contract),
): Promise<SluiceEvent<"sluice.object.staged">> {
  const runId = runIdOf(object);
  const keys = stagingKeysOf(contract.name, runId);
  await store.put(STAGING_BUCKET, keys.rowsKey, gz);
  const counts = { rows: rowCount, staged: rowCount, rejected: 0 };
  const manifest: StagingManifest = {
    runId,
    dataset: contract.name,
    contractVersion: contract.version,
    object,
    route: "lambda",
    producer: "transform",
    columns: manifestColumns,
    format: "csv+gzip",
    counts,
    rowsSha256: createHash("sha256").update(gz).digest("hex"),
    rowsBytes: gz.length,
    createdAt: new Date().toISOString(),
  };
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
