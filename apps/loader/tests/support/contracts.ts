import { type DatasetContract, type DatasetContractInput, parseDatasetContract } from "@sluice/core";

/** An event-log contract with no key (so `append` by default) loading into `table`. */
export function eventsContract(
  table: string,
  overrides: Partial<DatasetContractInput> = {},
): DatasetContract {
  return parseDatasetContract({
    name: "events",
    version: 1,
    match: { prefix: "events/" },
    format: { type: "csv" },
    fields: [
      { name: "kind", type: "string", required: true },
      { name: "happened_at", type: "timestamp", required: true },
      { name: "amount", type: "decimal" },
    ],
    table,
    ...overrides,
  });
}

/** One events row in contract order. */
export function eventRow(i: number, amount: string | null = `${i}.25`): (string | null)[] {
  return [`kind-${i % 3}`, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), amount];
}

/**
 * A change-feed contract keyed by `id`: each row carries a `version` (newer is larger) and an
 * `op`; by default `load` orders rows by version and deletes the key on `op = delete`.
 */
export function feedContract(
  table: string,
  load: DatasetContractInput["load"] = { orderBy: "version", deleteWhen: { field: "op", equals: "delete" } },
  overrides: Partial<DatasetContractInput> = {},
): DatasetContract {
  return parseDatasetContract({
    name: "feed",
    version: 1,
    match: { prefix: "feed/" },
    format: { type: "csv" },
    fields: [
      { name: "id", type: "integer", required: true },
      { name: "version", type: "integer", required: true },
      { name: "op", type: "string", required: true },
      { name: "value", type: "string" },
    ],
    primaryKey: ["id"],
    table,
    load,
    ...overrides,
  });
}

/** One feed row: `id` at `version`, an upsert (value `v<version>`) unless `op` says otherwise. */
export function feedRow(id: number, version: number, op = "upsert"): (string | null)[] {
  return [String(id), String(version), op, op === "delete" ? null : `v${version}`];
}

/** Every ordering of `items`. */
export function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}
