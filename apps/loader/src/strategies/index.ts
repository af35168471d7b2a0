import type { LoaderConfig } from "../config";
import type { LoadContext } from "../load-context";
import { directCopy } from "./direct-copy";
import { merge } from "./merge";
import { plainInsert } from "./plain-insert";
import type { LoadCounts, LoadStrategy } from "./strategy";

export type { LoadCounts, LoadStrategy } from "./strategy";

/**
 * The strategies a load tries, in order, cheapest first: straight COPY into an empty table,
 * then a plain insert of new keys, then the merge, which fits every run and so ends the list.
 * The config switches leave a strategy out.
 */
export function strategiesFor(config: LoaderConfig): LoadStrategy[] {
  return [
    ...(config.directCopyIntoEmptyTable ? [directCopy] : []),
    ...(config.insertNewKeysFirst ? [plainInsert] : []),
    merge,
  ];
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
