import * as z from "zod/mini";
import "../zod-config";

/**
 * How a file meets its table:
 * - `merge`: upsert on the primary key (rows with a known key are updated, new keys inserted);
 * - `append`: the run's rows are added exactly once, no key needed;
 * - `replace`: the file is a full snapshot; the table's rows become the file's rows atomically.
 */
export const LOAD_MODES = ["merge", "append", "replace"] as const;
/** One of {@link LOAD_MODES}. */
export type LoadMode = (typeof LOAD_MODES)[number];

/**
 * What happens to a key repeated within one file: the `last` or `first` occurrence wins (the
 * others are counted as repeats), or every repeat is `reject`ed as a row naming the first's line.
 */
export const DUPLICATE_KEY_POLICIES = ["last", "first", "reject"] as const;
/** One of {@link DUPLICATE_KEY_POLICIES}. */
export type DuplicateKeyPolicy = (typeof DUPLICATE_KEY_POLICIES)[number];

/**
 * How the table may follow a contract change: `evolve` adds nullable columns, widens integer to
 * decimal and raises a maximum length; `freeze` refuses any change.
 */
export const SCHEMA_POLICIES = ["evolve", "freeze"] as const;
/** One of {@link SCHEMA_POLICIES}. */
export type SchemaPolicy = (typeof SCHEMA_POLICIES)[number];

/** Field types `orderBy` may name: the ones whose order means "newer". */
export const ORDERABLE_TYPES: ReadonlySet<string> = new Set([
  "integer",
  "decimal",
  "date",
  "timestamp",
  "string",
]);

/** Column names starting with this belong to Sluice (lineage, staged line numbers); no field may. */
export const RESERVED_COLUMN_PREFIX = "_sluice_";

/** Name of the lineage column: the run id that wrote each row. */
export const LINEAGE_RUN_ID_COLUMN = `${RESERVED_COLUMN_PREFIX}run_id`;

/** The `load` section as written in a contract file (every key optional). */
export const loadSectionSchema = z.strictObject({
  mode: z.optional(z.enum(LOAD_MODES)),
  onDuplicateKey: z.optional(z.enum(DUPLICATE_KEY_POLICIES)),
  /** A field whose larger value is newer: older rows never replace newer ones. */
  orderBy: z.optional(z.string().check(z.minLength(1))),
  /** Rows whose `field` equals `equals` delete the keyed row instead of upserting it. */
  deleteWhen: z.optional(
    z.strictObject({
      field: z.string().check(z.minLength(1)),
      equals: z.union([z.string(), z.number(), z.boolean()]),
    }),
  ),
  /** Adds {@link LINEAGE_RUN_ID_COLUMN} to the table; default on for append and replace. */
  lineage: z.optional(z.boolean()),
  schema: z.optional(z.enum(SCHEMA_POLICIES)),
});

/** The `load` section as written (see {@link loadSectionSchema}). */
export type LoadSection = z.output<typeof loadSectionSchema>;

/** A contract's load policy with every default applied (what the loader reads). */
export interface LoadPolicy {
  mode: LoadMode;
  onDuplicateKey: DuplicateKeyPolicy;
  orderBy?: string;
  deleteWhen?: { field: string; equals: string | number | boolean };
  lineage: boolean;
  schema: SchemaPolicy;
}

/** What {@link resolveLoadPolicy} needs of the contract besides its `load` section. */
export interface LoadPolicyContext {
  load?: LoadSection | undefined;
  primaryKey?: readonly string[] | undefined;
  fields: readonly { name: string; type: string }[];
}

/** A problem with a contract's load policy, with the path of the key at fault. */
export interface LoadPolicyProblem {
  path: (string | number)[];
  message: string;
}

/**
 * The load policy with its defaults: `merge` when the contract has a primary key and `append`
 * otherwise; duplicates `last`; lineage on for `append` and `replace`; schema `evolve`.
 */
export function resolveLoadPolicy(contract: LoadPolicyContext): LoadPolicy {
  const load = contract.load ?? {};
  const mode = load.mode ?? (contract.primaryKey && contract.primaryKey.length > 0 ? "merge" : "append");
  const policy: LoadPolicy = {
    mode,
    onDuplicateKey: load.onDuplicateKey ?? "last",
    lineage: load.lineage ?? mode !== "merge",
    schema: load.schema ?? "evolve",
  };
  if (load.orderBy !== undefined) policy.orderBy = load.orderBy;
  if (load.deleteWhen !== undefined) policy.deleteWhen = { ...load.deleteWhen };
  return policy;
}

/** Every way the `load` section does not fit the rest of the contract. */
export function loadPolicyProblems(contract: LoadPolicyContext): LoadPolicyProblem[] {
  const problems: LoadPolicyProblem[] = [];
  const load = contract.load ?? {};
  const { mode } = resolveLoadPolicy(contract);
  const hasKey = (contract.primaryKey?.length ?? 0) > 0;
  const fieldNamed = (name: string) => contract.fields.find((field) => field.name === name);
  if (mode === "merge" && !hasKey)
    problems.push({ path: ["primaryKey"], message: "load mode merge needs a primaryKey" });
  if (load.onDuplicateKey !== undefined && !hasKey)
    problems.push({ path: ["load", "onDuplicateKey"], message: "onDuplicateKey needs a primaryKey" });
  if (load.orderBy !== undefined) {
    const field = fieldNamed(load.orderBy);
    if (!field) problems.push({ path: ["load", "orderBy"], message: `${load.orderBy} is not a field` });
    else if (!ORDERABLE_TYPES.has(field.type))
      problems.push({ path: ["load", "orderBy"], message: `a ${field.type} field cannot order rows` });
    if (mode === "append")
      problems.push({
        path: ["load", "orderBy"],
        message: "orderBy applies to merge and replace, not append",
      });
  }
  if (load.deleteWhen !== undefined) {
    if (!fieldNamed(load.deleteWhen.field))
      problems.push({
        path: ["load", "deleteWhen", "field"],
        message: `${load.deleteWhen.field} is not a field`,
      });
    if (mode !== "merge")
      problems.push({ path: ["load", "deleteWhen"], message: "deleteWhen applies to load mode merge only" });
  }
  contract.fields.forEach((field, i) => {
    if (field.name.startsWith(RESERVED_COLUMN_PREFIX))
      problems.push({
        path: ["fields", i, "name"],
        message: `names starting with ${RESERVED_COLUMN_PREFIX} are reserved for Sluice's own columns`,
      });
  });
  return problems;
}
