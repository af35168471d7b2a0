import type { DatasetContract } from "@sluice/core";
import type { LoaderConfig } from "../config";
import type { LoadContext } from "../load-context";
import { directCopy } from "./direct-copy";
import { merge } from "./merge";
import { plainInsert } from "./plain-insert";
import { stagedInsert } from "./staged-insert";
import type { LoadCounts, LoadStrategy } from "./strategy";

export type { LoadCounts, LoadStrategy } from "./strategy";

/**
 * The strategies a load tries, in order, cheapest first; the last one fits every run.
 * - `append` and `replace` (after emptying the table): straight COPY into the table, then the
 *   staged insert, which rejects the rows the table refuses.
 * - `merge`: straight COPY into an empty table, a plain insert of new keys, then the merge. The
 *   config switches leave the first two out, and so does `deleteWhen`: its rows must never be
 *   inserted, and its tombstones must be consulted.
 */
export function strategiesFor(contract: DatasetContract, config: LoaderConfig): LoadStrategy[] {
  if (contract.load.mode !== "merge") return [directCopy, stagedInsert];
  const fast = contract.load.deleteWhen
    ? []
    : [
        ...(config.directCopyIntoEmptyTable ? [directCopy] : []),
        ...(config.insertNewKeysFirst ? [plainInsert] : []),
      ];
  return [...fast, merge];
}

/** Loads the run with the first of `strategies` that fits it; `method` names that strategy. */
export async function loadWithFirstFitting(
  ctx: LoadContext,
  strategies: readonly LoadStrategy[],
): Promise<LoadCounts & { method: string }> {
  for (const strategy of strategies) {
    const counts = await strategy.attempt(ctx);
    if (counts) return { method: strategy.name, ...counts };
  }
  throw new Error(`no load strategy fits run ${ctx.run.runId}: ${strategies.map((s) => s.name).join(", ")}`);
}
