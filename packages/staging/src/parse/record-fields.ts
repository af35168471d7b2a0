import type { FieldSpec } from "@sluice/core";

/** Fills `values` (contract field order) from one record of a JSON, NDJSON or Parquet source. */
export type RecordFieldReader = (record: Record<string, unknown>, values: unknown[]) => void;

type Getter = (record: Record<string, unknown>) => unknown;

/** The value at `path` below `record`, or undefined when a step is missing or not an object. */
export function walk(record: unknown, path: readonly string[]): unknown {
  let value: unknown = record;
  for (const step of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, step)) return undefined;
    value = (value as Record<string, unknown>)[step];
  }
  return value;
}

/**
 * Compiles where each contract field is in a record: `field.source ?? field.name`, a member name
 * or a dot path into nested objects (`properties.mag`; an array step is its index,
 * `coordinates.0`). A record member whose own name is the whole dotted source wins over the
 * path, so a flat export with `"a.b"` keys reads as written. A missing step gives undefined
 * (the validator's "missing").
 */
export function compileRecordFieldReader(fields: readonly FieldSpec[]): RecordFieldReader {
  const getters: Getter[] = fields.map((field) => {
    const source = field.source ?? field.name;
    if (!source.includes(".")) return (record) => record[source];
    const path = source.split(".");
    return (record) => (Object.hasOwn(record, source) ? record[source] : walk(record, path));
  });
  const count = getters.length;
  return (record, values) => {
    for (let i = 0; i < count; i++) values[i] = getters[i]!(record);
  };
}
