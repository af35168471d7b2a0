import { randomUUID } from "node:crypto";
import * as z from "zod/mini";
import { LOAD_MODES } from "../datasets/load-policy";
import { MalformedEventError } from "../errors";
import { firstIssueOf } from "../zod-config";
import { boundEventData, DEFAULT_EVENT_SIZE_LIMITS, type EventSizeLimits } from "./event-size";

/** Version of the event data schemas below; bump on a breaking change to any `data` shape. */
export const EVENT_SCHEMA_VERSION = 1;

/**
 * The event types: the five that flow between phases; `sluice.object.unloaded`, published when a
 * person takes a loaded run's rows back out (`sluice unload`); and the three of a run fanned out
 * over parts: `sluice.object.split` (the transform began cutting an object into parts: the loader
 * may start), `sluice.part.requested` (one part to stage, on the transform queue) and
 * `sluice.part.staged` (a part is in). One object stays one run: it ends `staged` or
 * `quarantined` once, for the whole file.
 */
export const EVENT_TYPES = [
  "sluice.object.received",
  "sluice.object.staged",
  "sluice.object.loaded",
  "sluice.object.quarantined",
  "sluice.object.failed",
  "sluice.object.unloaded",
  "sluice.object.split",
  "sluice.part.requested",
  "sluice.part.staged",
] as const;

/** One of {@link EVENT_TYPES}. */
export type SluiceEventType = (typeof EVENT_TYPES)[number];

/** Where an object's rows go: a Lambda (transform) or a container task (legacy wrapper). */
export type Route = "lambda" | "container";

const nonEmpty = () => z.string().check(z.minLength(1));
const count = () => z.int().check(z.nonnegative());

/** Runtime schema of an object reference (`ObjectRef`) as events and manifests carry it. */
export const objectRefSchema = z.object({
  bucket: nonEmpty(),
  key: nonEmpty(),
  size: count(),
  eTag: z.optional(z.string()),
  versionId: z.optional(z.string()),
  sequencer: z.optional(z.string()),
});

const rejectionSchema = z.object({
  line: count(),
  field: z.string(),
  reason: z.string(),
  value: z.optional(z.string()),
});

const stagedObjectsSchema = z.object({
  bucket: nonEmpty(),
  rowsKey: nonEmpty(),
  rejectsKey: nonEmpty(),
  manifestKey: nonEmpty(),
});

/** Runtime schema of a run's row counts: every data record, those staged, those rejected. */
export const rowCountsSchema = z.object({
  rows: count(),
  staged: count(),
  rejected: count(),
});

const common = {
  runId: nonEmpty(),
  object: objectRefSchema,
};

/**
 * Runtime schema of one part of an object (staging's `ObjectPart`): its byte range, the line of
 * its first byte in the whole object, a CSV part's header (the object's), Parquet's row groups.
 */
export const objectPartSchema = z.object({
  index: count(),
  start: count(),
  end: count(),
  firstLine: z.int().check(z.positive()),
  header: z.optional(z.array(z.string())),
  rowGroups: z.optional(z.object({ first: count(), end: count() })),
});

const received = {
  ...common,
  dataset: nonEmpty(),
  contractVersion: z.int().check(z.positive()),
  route: z.enum(["lambda", "container"]),
};

/** Runtime schemas of each event's `data`, by type. */
export const eventDataSchemas = {
  "sluice.object.received": z.object(received),
  "sluice.object.staged": z.object({
    ...received,
    staged: stagedObjectsSchema,
    counts: rowCountsSchema,
    /** How many parts the object was staged in, when it was fanned out (the manifest lists them). */
    parts: z.optional(z.int().check(z.positive())),
    /** Why an object above the fan-out threshold was staged in one pass (e.g. gzip cannot be split by byte range). */
    unsplitReason: z.optional(z.string()),
  }),
  "sluice.object.loaded": z.object({
    ...common,
    dataset: nonEmpty(),
    table: nonEmpty(),
    inserted: count(),
    updated: count(),
    unchanged: count(),
    /** True when this delivery found the run already loaded and changed nothing. */
    alreadyLoaded: z.boolean(),
    /** The contract's load mode the run was loaded with (`merge`, `append`, `replace`). */
    mode: z.optional(z.enum(LOAD_MODES)),
    /**
     * Rows this load took out of the table: keyed rows a `deleteWhen` row removed (merge), the
     * previous snapshot (replace), or the run's own earlier rows on a reload (append).
     */
    deleted: z.optional(count()),
    /** Rows whose key repeated an earlier row of the same file, whatever `onDuplicateKey` did with them. */
    repeats: z.optional(count()),
    /** Rows the loader rejected (a repeat under `onDuplicateKey: reject`, or a row the table refused). */
    rejected: z.optional(count()),
    /** Where the loader's rejections are (`load-rejects.ndjson` beside the run), when there are any. */
    loadRejectsKey: z.optional(z.string()),
    /** True when the run had been loaded under another contract and was loaded again under this one. */
    reloaded: z.optional(z.boolean()),
    /** The contract version of the earlier load, on a reload. */
    previousContractVersion: z.optional(z.int().check(z.positive())),
    /** Why this delivery loaded nothing (e.g. `older-snapshot`), when it was skipped on purpose. */
    skipped: z.optional(z.object({ reason: nonEmpty(), message: z.string() })),
  }),
  "sluice.object.quarantined": z.object({
    ...common,
    dataset: nonEmpty(),
    route: z.enum(["lambda", "container"]),
    reason: nonEmpty(),
    message: z.string(),
    counts: z.optional(rowCountsSchema),
    /** The first rejected rows, so a reader sees why without opening the rejects file. */
    firstRejections: z.array(rejectionSchema),
    rejectsKey: z.optional(z.string()),
  }),
  "sluice.object.failed": z.object({
    ...common,
    dataset: z.optional(z.string()),
    phase: nonEmpty(),
    reason: nonEmpty(),
    message: z.string(),
    retryable: z.boolean(),
    /**
     * The attempt that was started again automatically after this failure (a container task's
     * retry), so the run is not left failed; absent when nothing retries it on its own.
     */
    nextAttempt: z.optional(z.int().check(z.minimum(2))),
    exitCode: z.optional(z.int()),
    stderrTail: z.optional(z.string()),
  }),
  "sluice.object.split": z.object({
    ...received,
    /** Where the run's manifest and parts go (`parts/<attempt>/<n>/` beside the manifest). */
    staged: stagedObjectsSchema,
    /** The attempt's parts prefix (`runPartsKeysOf`): the id of the received event that split the object. */
    attempt: nonEmpty(),
    /** The bytes wanted per part. */
    partBytes: z.int().check(z.positive()),
  }),
  "sluice.part.requested": z.object({
    ...received,
    part: objectPartSchema,
    /** The attempt the part belongs to (see `sluice.object.split`). */
    attempt: nonEmpty(),
    /** True on the plan's last part: the object has `part.index + 1` parts. */
    last: z.boolean(),
  }),
  "sluice.part.staged": z.object({
    ...common,
    dataset: nonEmpty(),
    route: z.enum(["lambda", "container"]),
    part: objectPartSchema,
    counts: rowCountsSchema,
  }),
  "sluice.object.unloaded": z.object({
    runId: nonEmpty(),
    /** The object as the load ledger records it: its size is not recorded there, so it may be absent. */
    object: z.object({ ...objectRefSchema.def.shape, size: z.optional(count()) }),
    dataset: nonEmpty(),
    /** The schema-qualified table the run's rows were deleted from. */
    table: nonEmpty(),
    /** Rows deleted: those whose lineage column names the run. */
    deleted: count(),
  }),
} as const;

/** The `data` of an event of type `T`. */
export type EventData<T extends SluiceEventType> = z.infer<(typeof eventDataSchemas)[T]>;

/** A pipeline event in CloudEvents 1.0 JSON shape. */
export interface SluiceEvent<T extends SluiceEventType = SluiceEventType> {
  specversion: "1.0";
  /** Unique per emission: redeliveries of one emission keep it, re-emissions get a new one. */
  id: string;
  /** URI of the producing phase, e.g. `sluice/listener`. */
  source: string;
  type: T;
  /** RFC 3339 timestamp of the emission. */
  time: string;
  /** The object key the event is about. */
  subject: string;
  datacontenttype: "application/json";
  /** Identifies the schema (and version) of `data`. */
  dataschema: string;
  data: EventData<T>;
}

/** The `dataschema` URI of an event type at the current schema version. */
export function dataSchemaOf(type: SluiceEventType, version = EVENT_SCHEMA_VERSION): string {
  return `urn:sluice:schema:${type.slice("sluice.".length)}:v${version}`;
}

/**
 * Builds an event of type `type` from `source` with `data`; validates `data` first. Free text
 * (a message, a reason, a stderr tail, rejections) is cut to `options.limits` with a marker, so
 * the event is always small enough to publish (never a 1 MB stderr tail published whole).
 */
export function createEvent<T extends SluiceEventType>(
  type: T,
  source: string,
  data: EventData<T>,
  options: { id?: string; time?: Date; limits?: EventSizeLimits } = {},
): SluiceEvent<T> {
  const checked = parseData(type, data);
  const event: SluiceEvent<T> = {
    specversion: "1.0",
    id: options.id ?? randomUUID(),
    source,
    type,
    time: (options.time ?? new Date()).toISOString(),
    subject: checked.object.key,
    datacontenttype: "application/json",
    dataschema: dataSchemaOf(type),
    data: checked,
  };
  const limits = options.limits ?? DEFAULT_EVENT_SIZE_LIMITS;
  return {
    ...event,
    data: boundEventData(checked, limits, (bounded) => JSON.stringify({ ...event, data: bounded })),
  };
}

const envelopeSchema = z.object({
  specversion: z.literal("1.0"),
  id: nonEmpty(),
  source: nonEmpty(),
  type: z.enum(EVENT_TYPES),
  time: nonEmpty(),
  subject: z.string(),
  datacontenttype: z.literal("application/json"),
  dataschema: nonEmpty(),
  data: z.unknown(),
});

/**
 * Validates an unknown value (or JSON text) as a Sluice event. Throws a
 * {@link MalformedEventError} that names the first wrong field, e.g. `data.object.key`.
 * When `expected` is given, other event types are rejected too.
 */
export function parseEvent<T extends SluiceEventType = SluiceEventType>(
  input: unknown,
  expected?: T | readonly T[],
): SluiceEvent<T> {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new MalformedEventError("event is not valid JSON", {}, { cause });
    }
  }
  const envelope = envelopeSchema.safeParse(value);
  if (!envelope.success) throw fromZod("event", envelope.error);
  const type = envelope.data.type as T;
  const allowed = expected === undefined ? undefined : Array.isArray(expected) ? expected : [expected];
  if (allowed && !allowed.includes(type)) {
    throw new MalformedEventError(`event type ${type} is not one of ${allowed.join(", ")}`, {
      field: "type",
      type,
    });
  }
  const major = /:v(\d+)$/.exec(envelope.data.dataschema)?.[1];
  if (major !== String(EVENT_SCHEMA_VERSION)) {
    throw new MalformedEventError(
      `event dataschema ${envelope.data.dataschema} is not supported (expected ${dataSchemaOf(type)})`,
      { field: "dataschema" },
    );
  }
  return { ...envelope.data, type, data: parseData(type, envelope.data.data) } as SluiceEvent<T>;
}

function parseData<T extends SluiceEventType>(type: T, data: unknown): EventData<T> {
  const result = eventDataSchemas[type].safeParse(data);
  if (!result.success) throw fromZod(`${type} event`, result.error, "data.");
  return result.data as EventData<T>;
}

function fromZod(what: string, error: z.core.$ZodError, prefix = ""): MalformedEventError {
  const { field, message } = firstIssueOf(error, prefix);
  return new MalformedEventError(`${what}: field ${field || "(root)"}: ${message}`, {
    field,
    issues: error.issues.map((i) => ({ path: i.path.join("."), message: i.message })),
  });
}

/** The SNS message attributes subscriptions filter on. */
export interface EventAttributes {
  type: SluiceEventType;
  dataset: string;
  route?: Route;
  /** `"true"` on a failure whose run was started again automatically (`nextAttempt`): no alert. */
  retrying?: "true";
}

/**
 * True for a failure whose run was started again automatically (it names `nextAttempt`): the run
 * is retrying, not failed, and its failure alerts no one.
 */
export function isRetryingFailure(event: SluiceEvent): boolean {
  return (
    event.type === "sluice.object.failed" &&
    (event.data as EventData<"sluice.object.failed">).nextAttempt !== undefined
  );
}

/** The message attributes published with `event` (SNS filter policies match on these). */
export function attributesOf(event: SluiceEvent): EventAttributes {
  const data = event.data as { dataset?: string; route?: Route };
  const attributes: EventAttributes = { type: event.type, dataset: data.dataset ?? "unknown" };
  if (data.route) attributes.route = data.route;
  if (isRetryingFailure(event)) attributes.retrying = "true";
  return attributes;
}
