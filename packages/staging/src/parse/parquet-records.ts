import { type DatasetContract, QuarantineError } from "@sluice/core";
import type { StagingConfig } from "../config";
import { QUARANTINE_REASONS } from "../reasons";
import type { StagingWriter } from "../staging-writer";
import {
  type ObjectBytes,
  parquetColumns,
  type RowGroupRange,
  readParquetMetadata,
  readParquetRowGroups,
} from "./parquet";
import { walk } from "./record-fields";

/** Where a contract field is in a Parquet file: a top-level column, and a dot path inside it. */
interface ParquetFieldSource {
  column: string;
  path: string[] | undefined;
}

/**
 * Where each field is: `field.source ?? field.name` names a top-level column, or a dot path whose
 * first step is a column (a struct, a list) and the rest steps inside its values
 * (`properties.mag`, `coordinates.0`). A column literally named like the whole dotted source wins.
 * A required field without its column fails the object as `missing-column`.
 */
function fieldSources(
  contract: DatasetContract,
  columns: readonly string[],
): (ParquetFieldSource | undefined)[] {
  const present = new Set(columns);
  const sources = contract.fields.map((field): ParquetFieldSource | undefined => {
    const source = field.source ?? field.name;
    if (present.has(source)) return { column: source, path: undefined };
    const [column, ...path] = source.split(".");
    return path.length > 0 && present.has(column!) ? { column: column!, path } : undefined;
  });
  const missing = contract.fields.filter((field, i) => field.required && sources[i] === undefined);
  if (missing.length > 0) {
    const list = missing.map((field) => field.source ?? field.name);
    throw new QuarantineError(
      QUARANTINE_REASONS.missingColumn,
      `Parquet file has no column for required field${list.length > 1 ? "s" : ""} ${list.join(", ")}`,
      { missing: list, columns: [...columns] },
    );
  }
  return sources;
}

/**
 * Stages the rows of a Parquet file into `writer`, row group by row group: each row's fields by
 * column name or dot path, its 1-based row number in the file as its line. Between batches of
 * `parquetBatchRows` rows it waits while the staging outputs are saturated, and stops when
 * `signal` aborts (the store failed under the outputs). With `groups`, only those row groups (a
 * part of the file); rows keep their numbers in the whole file.
 */
export async function stageParquetRows(
  contract: DatasetContract,
  bytes: ObjectBytes,
  writer: StagingWriter,
  config: StagingConfig,
  signal: AbortSignal,
  groups?: RowGroupRange,
): Promise<void> {
  const metadata = await readParquetMetadata(bytes);
  const sources = fieldSources(contract, parquetColumns(metadata));
  const needed = [...new Set(sources.flatMap((source) => (source ? [source.column] : [])))];
  const values: unknown[] = new Array(sources.length);
  await readParquetRowGroups(
    bytes,
    metadata,
    needed,
    config.parquetReadBytes,
    async ({ rowStart, rows, columns }) => {
      const data = sources.map((source) => (source ? columns.get(source.column) : undefined));
      for (let row = 0; row < rows; row++) {
        for (let i = 0; i < sources.length; i++) {
          const raw = data[i]?.at(row);
          const path = sources[i]?.path;
          values[i] = path === undefined ? raw : walk(raw, path);
        }
        writer.record(values, rowStart + row + 1);
        if ((row + 1) % config.parquetBatchRows === 0) {
          signal.throwIfAborted();
          if (writer.saturated) await writer.drained();
        }
      }
      signal.throwIfAborted();
      return true;
    },
    groups,
  );
}
