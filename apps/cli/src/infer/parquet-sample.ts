import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type SchemaElement } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { columnsOfRecords, type SampledRecords } from "./records";

/** What a Parquet column's schema says that its values do not: a DATE is not an instant, a DECIMAL's digits. */
export interface ParquetColumnHint {
  type?: "date" | "timestamp" | "decimal";
  scale?: number;
  precision?: number;
}

/**
 * Reads the first `rows` rows of a Parquet file (its footer, then only the row groups they are
 * in) as records, with hints from its schema. Rows are JSON-like records: structs become dot
 * paths, lists stay whole. (`@sluice/staging`'s Parquet reader reads the pipeline's; this one
 * only samples.)
 */
export async function readParquetSample(
  path: string,
  rows: number,
): Promise<SampledRecords & { hints: Record<string, ParquetColumnHint>; totalRows: number }> {
  const file = await asyncBufferFromFile(path);
  const metadata = await parquetMetadataAsync(file);
  const totalRows = Number(metadata.num_rows);
  const records = await parquetReadObjects({
    file,
    metadata,
    rowEnd: Math.min(rows, totalRows),
    compressors,
  });
  const hints: Record<string, ParquetColumnHint> = {};
  // The schema is flat in the footer: a group's children follow it (num_children of them).
  const walk = (index: number, prefix: string): number => {
    const element = metadata.schema[index]!;
    const path = prefix ? `${prefix}.${element.name}` : element.name;
    let next = index + 1;
    for (let child = 0; child < (element.num_children ?? 0); child++)
      next = walk(next, index === 0 ? "" : path);
    const hint = hintOf(element);
    if (hint && index > 0) hints[path] = hint;
    return next;
  };
  walk(0, "");
  return {
    format: { type: "parquet" },
    columns: columnsOfRecords(records),
    rows: records.length,
    typed: true,
    notes: [`format: parquet (${totalRows} rows in ${metadata.row_groups.length} row group(s))`],
    hints,
    totalRows,
  };
}

function hintOf(element: SchemaElement): ParquetColumnHint | undefined {
  const logical = element.logical_type;
  if (logical?.type === "DATE" || element.converted_type === "DATE") return { type: "date" };
  if (logical?.type === "TIMESTAMP" || element.converted_type?.startsWith("TIMESTAMP"))
    return { type: "timestamp" };
  if (logical?.type === "DECIMAL")
    return { type: "decimal", scale: logical.scale, precision: logical.precision };
  if (element.converted_type === "DECIMAL")
    return {
      type: "decimal",
      ...(element.scale !== undefined ? { scale: element.scale } : {}),
      ...(element.precision !== undefined ? { precision: element.precision } : {}),
    };
  return undefined;
}
