import type { Rejection } from "@sluice/core";

/** Rejected rows that share a reason: how many, and the first few as examples. */
export interface RejectGroup {
  reason: string;
  count: number;
  /** The first rejections with this reason, in file order. */
  examples: Omit<Rejection, "reason">[];
}

/** Groups rejections by reason as they stream by, keeping `examplesPerReason` of each: bounded memory. */
export class RejectGroups {
  readonly #groups = new Map<string, RejectGroup>();

  constructor(private readonly examplesPerReason: number) {}

  /** Every rejection counted so far. */
  get total(): number {
    let total = 0;
    for (const group of this.#groups.values()) total += group.count;
    return total;
  }

  add({ reason, ...example }: Rejection): void {
    let group = this.#groups.get(reason);
    if (!group) {
      group = { reason, count: 0, examples: [] };
      this.#groups.set(reason, group);
    }
    group.count += 1;
    if (group.examples.length < this.examplesPerReason) group.examples.push(example);
  }

  /** The groups, the most frequent reason first (first seen first among equals). */
  list(): RejectGroup[] {
    return [...this.#groups.values()].sort((a, b) => b.count - a.count);
  }
}
