/**
 * Test fixtures of staging (tests only: `@sluice/staging/testing`), shared with the producers'
 * own tests: the shipped contracts, received events, in-memory ports and a `stage` helper.
 */
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import {
  createEvent,
  createLogger,
  type DatasetContract,
  type DatasetContractInput,
  parseDatasetContract,
  runIdOf,
  type SluiceEvent,
  type StagingKeys,
  stagingKeysOf,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { MemoryEventPublisher, MemoryObjectStore } from "@sluice/local";
import { type StageDeps, type StageOutcome, stageStream } from "../stage-stream";

/** The raw bucket of the tests. */
export const RAW_BUCKET = "raw";
/** The staging bucket of the tests. */
export const STAGING_BUCKET = "staging";
/** The time {@link testDeps}' clock pins on manifests and events. */
export const FIXED_TIME = new Date("2026-11-27T10:00:00.000Z");

/** The shipped contracts (orders: CSV, customers: NDJSON, ledger: fixed-width). */
export const registry = loadRegistry();

/** A contract built from the shipped `orders` contract with `changes` applied. */
export function ordersContract(changes: Partial<DatasetContractInput> = {}): DatasetContract {
  return parseDatasetContract({ ...registry.get("orders"), ...changes });
}

/** A `sluice.object.received` event for `key` in the raw bucket. */
export function receivedEvent(
  contract: DatasetContract,
  key: string,
  options: { size?: number; eTag?: string; route?: "lambda" | "container" } = {},
): SluiceEvent<"sluice.object.received"> {
  const object = { bucket: RAW_BUCKET, key, size: options.size ?? 100, eTag: options.eTag ?? "etag-1" };
  return createEvent("sluice.object.received", "sluice/listener", {
    runId: runIdOf(object),
    object,
    dataset: contract.name,
    contractVersion: contract.version,
    route: options.route ?? "lambda",
  });
}

/** Fresh ports for one test, with a silent logger and a pinned clock. */
export function testDeps(overrides: Partial<StageDeps> = {}): StageDeps & {
  store: MemoryObjectStore;
  publisher: MemoryEventPublisher;
} {
  return {
    store: new MemoryObjectStore(),
    publisher: new MemoryEventPublisher(),
    stagingBucket: STAGING_BUCKET,
    logger: createLogger("transform", { level: "SILENT" }),
    clock: () => FIXED_TIME,
    ...overrides,
  } as StageDeps & { store: MemoryObjectStore; publisher: MemoryEventPublisher };
}

/** What one staging run left behind. */
export interface StagedResult {
  outcome: StageOutcome;
  keys: StagingKeys;
  deps: ReturnType<typeof testDeps>;
  /** The staged rows decompressed, or undefined when no rows object exists. */
  rows(): string | undefined;
  /** The parsed rejections, or undefined when no rejects object exists. */
  rejects(): Record<string, unknown>[] | undefined;
  manifest(): Record<string, unknown> | undefined;
}

/**
 * Seeds `content` as `key`, then stages it from the store (read in `chunkSize` chunks) with
 * {@link stageStream}.
 */
export async function stage(
  contract: DatasetContract,
  content: Buffer | string,
  options: {
    key?: string;
    chunkSize?: number;
    deps?: ReturnType<typeof testDeps>;
    config?: StageDeps["config"];
  } = {},
): Promise<StagedResult> {
  const key = options.key ?? "orders/2026/11/27/export.csv";
  const deps = options.deps ?? testDeps();
  if (options.config) deps.config = options.config;
  if (options.chunkSize) deps.store.chunkSize = options.chunkSize;
  deps.store.seed(RAW_BUCKET, key, content);
  const event = receivedEvent(contract, key, { size: Buffer.byteLength(content) });
  const body = await deps.store.get(RAW_BUCKET, key);
  const outcome = await stageStream({ event, contract, body, producer: "transform" }, deps);
  const keys = stagingKeysOf(contract.name, event.data.runId);
  return {
    outcome,
    keys,
    deps,
    rows: () => {
      const bytes = deps.store.bytes(STAGING_BUCKET, keys.rowsKey);
      return bytes ? gunzipSync(bytes).toString("utf8") : undefined;
    },
    /** The run's rejections: none when no rejects object was written (a run without any). */
    rejects: () => {
      const bytes = deps.store.bytes(STAGING_BUCKET, keys.rejectsKey);
      if (!bytes) return [];
      return bytes
        .toString("utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    manifest: () => {
      const bytes = deps.store.bytes(STAGING_BUCKET, keys.manifestKey);
      return bytes ? (JSON.parse(bytes.toString("utf8")) as Record<string, unknown>) : undefined;
    },
  };
}

/** The data of the one `sluice.object.quarantined` event a staging run published; throws when it published anything else. */
export function quarantineOf(result: StagedResult): SluiceEvent<"sluice.object.quarantined">["data"] {
  const events = result.deps.publisher.events;
  if (events.length !== 1 || events[0]!.type !== "sluice.object.quarantined")
    throw new Error(
      `expected one object.quarantined event, got ${events.map((e) => e.type).join(", ") || "none"}`,
    );
  return (events[0] as SluiceEvent<"sluice.object.quarantined">).data;
}

/** Lines joined with `eol`, ending with it. */
export function lines(eol: string, ...rows: string[]): string {
  return rows.map((row) => `${row}${eol}`).join("");
}

/** A small deterministic random generator, so a generated test case replays from its seed. */
export function seededRandom(seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!,
  };
}

/** The path of a file of the npm package vega-datasets (a devDependency: real public data, never copied into the repo). */
export function vegaDatasetPath(file: string): string {
  // The package exports only its build, whose folder sits beside `data/`.
  return join(dirname(require.resolve("vega-datasets")), "..", "data", file);
}
