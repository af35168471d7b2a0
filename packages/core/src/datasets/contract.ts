import { createHash } from "node:crypto";
import picomatch from "picomatch";
import * as z from "zod/mini";
import "../zod-config";
import { ContractError } from "../errors";
import type { Route } from "../events/envelope";
import { fanOutSectionSchema } from "./fan-out";
import { fieldSchema, identifier, nonEmpty, positiveInt } from "./fields";
import { type LoadPolicy, loadPolicyProblems, loadSectionSchema, resolveLoadPolicy } from "./load-policy";

export { DEFAULT_FALSE_VALUES, DEFAULT_TRUE_VALUES, FIELD_TYPES, type FieldType } from "./fields";

const csvFormat = z.strictObject({
  type: z.literal("csv"),
  delimiter: z._default(z.string().check(z.length(1)), ","),
  quote: z._default(z.string().check(z.length(1)), '"'),
  /** True when the first line names the columns; they are matched by name, in any order. */
  header: z._default(z.boolean(), true),
});

const ndjsonFormat = z.strictObject({ type: z.literal("ndjson") });

const jsonFormat = z.strictObject({
  type: z.literal("json"),
  /**
   * Dot path of the array of records (`features`, `data.items`); absent when the whole document
   * is the array. Read as a stream: the document is never held whole.
   */
  records: z.optional(nonEmpty()),
});

const parquetFormat = z.strictObject({ type: z.literal("parquet") });

const fixedWidthFormat = z.strictObject({
  type: z.literal("fixed-width"),
  /** Column positions: 0-based character offset and width, per field. */
  columns: z
    .array(z.strictObject({ field: identifier, start: z.int().check(z.minimum(0)), length: positiveInt() }))
    .check(z.minLength(1)),
});

const routeSchema = z.union([
  z.enum(["lambda", "container"]),
  z.strictObject({ auto: z.strictObject({ thresholdBytes: positiveInt() }) }),
]);

/** The JSON schema of a dataset contract file. */
export const datasetContractSchema = z
  .strictObject({
    name: identifier,
    version: positiveInt(),
    description: z.optional(z.string()),
    /** Which raw keys belong to the dataset: a key prefix, or a glob (`orders/**\/*.csv`). */
    match: z.union([z.strictObject({ prefix: nonEmpty() }), z.strictObject({ glob: nonEmpty() })]),
    format: z.discriminatedUnion("type", [
      csvFormat,
      ndjsonFormat,
      jsonFormat,
      parquetFormat,
      fixedWidthFormat,
    ]),
    /** Text that means NULL in every field (a field's own `nullValues` overrides it). */
    nullValues: z._default(z.array(z.string()), [""]),
    /** Strip leading and trailing whitespace from every value (a field's own `trim` overrides it). */
    trim: z._default(z.boolean(), false),
    fields: z.array(fieldSchema).check(z.minLength(1)),
    /** The key of a row: required by load mode `merge`, optional otherwise. */
    primaryKey: z.optional(z.array(identifier).check(z.minLength(1))),
    /** How a file meets its table (`load-policy.ts`); defaults from {@link resolveLoadPolicy}. */
    load: z.optional(loadSectionSchema),
    /** Target table, optionally schema-qualified (`sales.orders`). */
    table: z
      .string()
      .check(
        z.regex(
          /^([a-z_][a-z0-9_]{0,62}\.)?[a-z_][a-z0-9_]{0,62}$/,
          "must be table or schema.table in lower case",
        ),
      ),
    route: z._default(routeSchema, "lambda"),
    /** The dataset's own fan-out settings over the environment's (`fan-out.ts`); absent: the environment's. */
    fanOut: z.optional(fanOutSectionSchema),
    quarantine: z._default(
      z.strictObject({
        /** Fraction of rows (0–1) that may be rejected before the whole file is quarantined. */
        maxBadRowRatio: z.number().check(z.minimum(0), z.maximum(1)),
      }),
      { maxBadRowRatio: 0 },
    ),
  })
  .check(
    z.superRefine((contract, ctx) => {
      const names = new Set<string>();
      contract.fields.forEach((field, i) => {
        if (names.has(field.name))
          ctx.addIssue({
            code: "custom",
            message: `duplicate field ${field.name}`,
            path: ["fields", i, "name"],
          });
        names.add(field.name);
      });
      (contract.primaryKey ?? []).forEach((key, i) => {
        const field = contract.fields.find((f) => f.name === key);
        if (!field)
          ctx.addIssue({
            code: "custom",
            message: `primary key ${key} is not a field`,
            path: ["primaryKey", i],
          });
        else if (!field.required)
          ctx.addIssue({
            code: "custom",
            message: `primary key field ${key} must be required`,
            path: ["primaryKey", i],
          });
      });
      for (const problem of loadPolicyProblems(contract))
        ctx.addIssue({ code: "custom", message: problem.message, path: problem.path });
      if (contract.format.type === "fixed-width") {
        const columns = new Set(contract.format.columns.map((c) => c.field));
        for (const field of contract.fields) {
          if (!columns.has(field.name))
            ctx.addIssue({
              code: "custom",
              message: `field ${field.name} has no fixed-width column`,
              path: ["format", "columns"],
            });
        }
        contract.format.columns.forEach((c, i) => {
          if (!names.has(c.field))
            ctx.addIssue({
              code: "custom",
              message: `column ${c.field} is not a field`,
              path: ["format", "columns", i, "field"],
            });
        });
      }
    }),
  );

/** A validated dataset contract, its load policy resolved (every default applied). */
export type DatasetContract = Omit<z.output<typeof datasetContractSchema>, "load"> & { load: LoadPolicy };
/** A contract's field. */
export type FieldSpec = DatasetContract["fields"][number];
/** A contract's input format. */
export type FormatSpec = DatasetContract["format"];
/** The contract as written in its JSON file (defaults not yet applied). */
export type DatasetContractInput = z.input<typeof datasetContractSchema>;

/**
 * Validates a contract (object or JSON text). Throws a {@link ContractError} naming the file
 * (when given) and every wrong field path, e.g. `fields[2].type`.
 */
export function parseDatasetContract(input: unknown, origin = "contract"): DatasetContract {
  let value = input;
  if (typeof input === "string") {
    try {
      value = JSON.parse(input);
    } catch (cause) {
      throw new ContractError(
        `${origin}: not valid JSON: ${(cause as Error).message}`,
        { origin },
        { cause },
      );
    }
  }
  const result = datasetContractSchema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new ContractError(`${origin}: ${problems.join("; ")}`, { origin, problems });
  }
  return { ...result.data, load: resolveLoadPolicy(result.data) };
}

/**
 * A fingerprint of everything in a contract that decides what a run stages and loads (all but
 * its description and its fan-out settings, which change how fast, never which rows): 16 hex
 * characters of SHA-256 over its canonical JSON. A run loaded under one fingerprint is loaded
 * again when the contract's fingerprint changes.
 */
export function contractFingerprint(contract: DatasetContract): string {
  const { description: _description, fanOut: _fanOut, ...rules } = contract;
  return createHash("sha256").update(canonicalJson(rules)).digest("hex").slice(0, 16);
}

/** JSON with object keys sorted at every level, so equal values always give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function formatPath(path: PropertyKey[]): string {
  return (
    path.reduce<string>(
      (out, part) =>
        typeof part === "number" ? `${out}[${part}]` : out ? `${out}.${String(part)}` : String(part),
      "",
    ) || "(root)"
  );
}

/** The field names of a contract, in order: the column order of staged rows. */
export function columnsOf(contract: DatasetContract): string[] {
  return contract.fields.map((f) => f.name);
}

/** True when `key` belongs to `contract` by its prefix or glob. */
export function contractClaims(contract: DatasetContract, key: string): boolean {
  if ("prefix" in contract.match) return key.startsWith(contract.match.prefix);
  return picomatch.isMatch(key, contract.match.glob, { dot: true });
}

/**
 * The route of an object of `size` bytes under `contract`. `lambdaMaxBytes` is the environment's
 * cap on the lambda route (`SLUICE_LAMBDA_ROUTE_MAX_BYTES`, see `lambdaRouteMaxBytesFrom`): an
 * `auto` contract's object above it goes to the container even under the contract's threshold.
 * A contract that names `lambda` (the default) or `container` keeps its route: the cap belongs to
 * the size route only, and the lambda route fans a large object out where the container would
 * stage it in one pass.
 */
export function routeFor(contract: DatasetContract, size: number, lambdaMaxBytes?: number): Route {
  const route = contract.route;
  if (route === "lambda" || route === "container") return route;
  const threshold = Math.min(route.auto.thresholdBytes, lambdaMaxBytes ?? Number.POSITIVE_INFINITY);
  return size > threshold ? "container" : "lambda";
}

/**
 * The registry of every dataset contract a deployment knows. Claiming is unambiguous: the
 * longest prefix / most specific match wins, and two contracts of equal claim are an error.
 */
export class DatasetRegistry {
  readonly #byName = new Map<string, DatasetContract>();

  constructor(contracts: Iterable<DatasetContract>) {
    for (const contract of contracts) {
      if (this.#byName.has(contract.name))
        throw new ContractError(`two contracts are named ${contract.name}`, { dataset: contract.name });
      this.#byName.set(contract.name, contract);
    }
  }

  /** Every contract, by name. */
  all(): DatasetContract[] {
    return [...this.#byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The contract named `name`, or a {@link ContractError}. */
  get(name: string): DatasetContract {
    const contract = this.#byName.get(name);
    if (!contract) throw new ContractError(`no dataset contract is named ${name}`, { dataset: name });
    return contract;
  }

  /** The contract that claims `key`, or `undefined` when none does. */
  claim(key: string): DatasetContract | undefined {
    const claims = this.all().filter((c) => contractClaims(c, key));
    if (claims.length <= 1) return claims[0];
    const specificity = (c: DatasetContract) =>
      "prefix" in c.match ? c.match.prefix.length : c.match.glob.replace(/[*?[\]{}]/g, "").length;
    claims.sort((a, b) => specificity(b) - specificity(a));
    if (specificity(claims[0]!) === specificity(claims[1]!)) {
      throw new ContractError(`key ${key} is claimed by both ${claims[0]!.name} and ${claims[1]!.name}`, {
        key,
      });
    }
    return claims[0];
  }
}
