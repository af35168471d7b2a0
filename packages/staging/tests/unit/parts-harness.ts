/** What the parts tests share: staging an object in one pass and in parts, and comparing the two. */
import { gunzipSync } from "node:zlib";
import { type DatasetContract, formatObjectRef } from "@sluice/core";
import { objectBytesFromStore } from "../../src/parse/parquet";
import { type PartPlan, planParts, stagePart } from "../../src/parts";
import { RAW_BUCKET, receivedEvent, STAGING_BUCKET, stage, testDeps } from "../../src/testing/fixtures";

/** Staged rows (COPY CSV text) and rejections, or the quarantine reason and its message. */
export interface Staged {
  rows: string;
  rejects: unknown[];
  quarantine?: string;
}

function rejectsOf(bytes: Buffer | undefined): unknown[] {
  if (!bytes) return [];
  return bytes
    .toString("utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as unknown);
}

/** `content` staged by `stageStream`, the single pass. */
export async function stagedWhole(contract: DatasetContract, content: Buffer): Promise<Staged> {
  const result = await stage(contract, content, { chunkSize: 7 });
  const outcome = result.outcome;
  if (outcome.status === "quarantined") {
    const message = outcome.event.data.message.slice(
      `${formatObjectRef(outcome.event.data.object)}: `.length,
    );
    return { rows: "", rejects: [], quarantine: `${outcome.reason}: ${message}` };
  }
  return { rows: result.rows() ?? "", rejects: result.rejects() ?? [] };
}

/**
 * Stages the parts of `content` one by one (each independently, through ranged reads of the
 * object) and concatenates their rows and rejections in plan order. Parts already staged (by
 * byte range) come from `cache`: a part's outcome depends on nothing else.
 */
export class PartStager {
  readonly #contract: DatasetContract;
  readonly #deps = testDeps();
  readonly #event;
  readonly #cache = new Map<string, Staged>();
  readonly #key = "orders/parts.csv";

  constructor(contract: DatasetContract, content: Buffer, readChunk = 5) {
    this.#contract = contract;
    this.#deps.store.chunkSize = readChunk;
    this.#deps.store.seed(RAW_BUCKET, this.#key, content);
    this.#event = receivedEvent(contract, this.#key, { size: content.length });
  }

  /** The plan of the object for these sizes. */
  plan(partBytes: number, scanReadBytes: number): Promise<PartPlan> {
    const bytes = objectBytesFromStore(this.#deps.store, this.#event.data.object);
    return planParts(bytes, this.#contract.format, { partBytes, scanReadBytes });
  }

  /** The plan's parts staged and concatenated; the first quarantined part stands for the run. */
  async staged(plan: PartPlan): Promise<Staged> {
    const all: Staged = { rows: "", rejects: [] };
    for (const part of plan.parts) {
      const id = `${part.start}:${part.end}`;
      let staged = this.#cache.get(id);
      if (!staged) {
        const outcome = await stagePart(
          { event: this.#event, contract: this.#contract, part, attempt: "a-1", producer: "transform" },
          this.#deps,
        );
        if (outcome.status === "quarantined") {
          staged = { rows: "", rejects: [], quarantine: `${outcome.reason}: ${outcome.message}` };
        } else {
          const rows = this.#deps.store.bytes(STAGING_BUCKET, outcome.keys.rowsKey);
          staged = {
            rows: rows ? gunzipSync(rows).toString("utf8") : "",
            // A part without rejections writes no rejects object: one left by another plan's part
            // of the same index would be stale.
            rejects:
              outcome.manifest.counts.rejected > 0
                ? rejectsOf(this.#deps.store.bytes(STAGING_BUCKET, outcome.keys.rejectsKey))
                : [],
          };
        }
        this.#cache.set(id, staged);
      }
      if (staged.quarantine) return { rows: "", rejects: [], quarantine: staged.quarantine };
      all.rows += staged.rows;
      all.rejects.push(...staged.rejects);
    }
    return all;
  }
}
