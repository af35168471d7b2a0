import { createHash, randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import {
  contractFingerprint,
  createEvent,
  type DatasetContract,
  encodeCsvRow,
  formatStagingManifest,
  type ObjectRef,
  type ObjectStore,
  type PartManifest,
  type PartsPlan,
  partManifestSchema,
  partsPlanSchema,
  runIdOf,
  runPartsKeysOf,
  type SluiceEvent,
  type StagingManifest,
  stagedColumnsOf,
  stagingKeysOf,
} from "@sluice/core";
import { csvLinesOf, STAGING_BUCKET } from "./staging";

/** Bytes wanted per part, as the split event says (informational here). */
const PART_BYTES = 1024;
/** The attempt (the splitting received event's id) every test run's parts belong to. */
const ATTEMPT = "attempt-1";

/**
 * A run fanned out over parts, written step by step as the transform writes it: each part's rows
 * (gzip CSV, `_sluice_line` first) then its `part.json`, the plan, then the run's manifest (with
 * `parts`) and its rejects. The split and staged events announce it.
 */
export interface PartedRun {
  /** The `sluice.object.split` the transform publishes when it starts cutting the object. */
  readonly split: SluiceEvent<"sluice.object.split">;
  /** The `sluice.object.staged` (with `parts`) the transform publishes once every part is in. */
  readonly staged: SluiceEvent<"sluice.object.staged">;
  /** Writes part `index`: its rows object, its rejects, then its `part.json`. */
  writePart(index: number): Promise<void>;
  /** Writes `parts/plan.json` (the pre-scan found every part). */
  writePlan(): Promise<void>;
  /** Writes the run's rejects and `manifest.json` (what the last part in does). */
  writeManifest(): Promise<void>;
  /** Writes `parts/quarantined.json` (a part quarantined the run). */
  writeQuarantined(): Promise<void>;
  /** Writes every part, the plan and the manifest. */
  writeAll(): Promise<void>;
  /** The gzip bytes of part `index`'s rows. */
  partBytes(index: number): Buffer;
  /** The staging keys of the run's parts. */
  readonly keys: ReturnType<typeof runPartsKeysOf>;
}

/**
 * A run of `contract` whose rows are `parts` (each a list of rows in contract order), their raw
 * lines numbered on across the parts as one CSV file with a header would have them.
 */
export function partedRun(
  store: ObjectStore,
  contract: DatasetContract,
  parts: (string | null)[][][],
  options: { key?: string; eTag?: string } = {},
): PartedRun {
  const object: ObjectRef = {
    bucket: "sluice-raw-test",
    key: options.key ?? `orders/${randomUUID()}.csv`,
    size: 100_000,
    eTag: options.eTag ?? randomUUID().replace(/-/g, ""),
  };
  const runId = runIdOf(object);
  const staging = stagingKeysOf(contract.name, runId);
  const keys = runPartsKeysOf(contract.name, runId, ATTEMPT);
  const lines = csvLinesOf(parts.flat());
  let first = 0;
  const written = parts.map((rows, index) => {
    const numbered = rows.map((row, i) => [String(lines[first + i]), ...row]);
    const gz = gzipSync(Buffer.from(numbered.map((row) => encodeCsvRow(row)).join("")));
    const firstLine = lines[first] ?? 1;
    first += rows.length;
    const manifest: PartManifest = partManifestSchema.parse({
      runId,
      part: { index, start: index * PART_BYTES, end: (index + 1) * PART_BYTES, firstLine },
      counts: { rows: rows.length, staged: rows.length, rejected: 0 },
      rowsSha256: sha256(gz),
      rowsBytes: gz.length,
    });
    return { gz, manifest };
  });
  const counts = { rows: first, staged: first, rejected: 0 };
  const received = {
    runId,
    object,
    dataset: contract.name,
    contractVersion: contract.version,
    route: "lambda" as const,
    staged: { bucket: STAGING_BUCKET, ...staging },
  };
  const put = (key: string, body: Buffer | string) =>
    store.put(STAGING_BUCKET, key, body).then(() => undefined);

  const run: PartedRun = {
    keys,
    split: createEvent("sluice.object.split", "sluice/transform", {
      ...received,
      attempt: ATTEMPT,
      partBytes: PART_BYTES,
    }),
    staged: createEvent("sluice.object.staged", "sluice/transform", {
      ...received,
      counts,
      parts: parts.length,
    }),
    partBytes: (index) => written[index]!.gz,
    async writePart(index) {
      const part = keys.part(index);
      await put(part.rowsKey, written[index]!.gz);
      await put(part.rejectsKey, "");
      await put(part.manifestKey, JSON.stringify(written[index]!.manifest));
    },
    async writePlan() {
      const plan: PartsPlan = partsPlanSchema.parse({ runId, parts: parts.length, partBytes: PART_BYTES });
      await put(keys.planKey, JSON.stringify(plan));
    },
    async writeManifest() {
      const manifest: StagingManifest = {
        runId,
        dataset: contract.name,
        contractVersion: contract.version,
        contractHash: contractFingerprint(contract),
        object,
        route: "lambda",
        producer: "transform",
        columns: stagedColumnsOf(contract),
        format: "csv+gzip",
        counts,
        rowsSha256: sha256(Buffer.from(written.map(({ manifest: part }) => part.rowsSha256).join(""))),
        rowsBytes: written.reduce((sum, { gz }) => sum + gz.length, 0),
        parts: written.map(({ manifest: part }, index) => ({
          index,
          firstLine: part.part.firstLine,
          rowsKey: keys.part(index).rowsKey,
          rowsSha256: part.rowsSha256,
          rowsBytes: part.rowsBytes,
          counts: part.counts,
        })),
        createdAt: new Date().toISOString(),
      };
      await put(staging.rejectsKey, "");
      await put(staging.manifestKey, formatStagingManifest(manifest));
    },
    async writeQuarantined() {
      await put(keys.quarantineKey, JSON.stringify({ runId, reason: "bad-row-ratio" }));
    },
    async writeAll() {
      for (let index = 0; index < parts.length; index++) await run.writePart(index);
      await run.writePlan();
      await run.writeManifest();
    },
  };
  return run;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
