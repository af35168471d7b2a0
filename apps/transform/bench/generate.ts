/**
 * Bench inputs: an orders export of about a given size as CSV (issue 13's ten-column shape with
 * quoted notes holding commas and line breaks: {@link writeWideOrdersCsv}), as a JSON array (each
 * order's customer nested, read by the dot path `customer.id`) or as Parquet (snappy, 100,000-row
 * row groups as hyparquet-writer writes by default, decimals as int64, timestamps in ms, and a
 * 128-digit reference in each note so the rows do not compress to nothing), with the contract
 * that reads each. One row in 1000 is invalid (status `lost`).
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { DatasetContract } from "@sluice/core";
import { parseDatasetContract } from "@sluice/core";
import { fileWriter, ParquetWriter } from "hyparquet-writer";

/** The input formats the bench measures. */
export const BENCH_FORMATS = ["csv", "json", "parquet"] as const;
/** One of {@link BENCH_FORMATS}. */
export type BenchFormat = (typeof BENCH_FORMATS)[number];

const MB = 1024 * 1024;
const STATUSES = ["new", "paid", "shipped", "cancelled"];
const NOTES = ["", "", "gift", "fragile, handle with care", "two\nlines", "leave at door"];
const PARQUET_ROW_GROUP = 100_000;
const TWO_DIGITS = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0"));

interface Order {
  orderId: number;
  customerId: number;
  status: string;
  amount: string;
  orderedAt: string;
  note: string;
}

function order(n: number): Order {
  const day = String((n % 28) + 1).padStart(2, "0");
  return {
    orderId: n,
    customerId: ((n * 7919) % 1000003) + 1,
    status: n % 1000 === 0 ? "lost" : STATUSES[n % 4]!,
    amount: `${n % 100000}.${String(n % 100).padStart(2, "0")}`,
    orderedAt: `2026-11-${day}T10:${String(n % 60).padStart(2, "0")}:00.000Z`,
    note: NOTES[n % NOTES.length]!,
  };
}

/**
 * The ten-column orders CSV of issue 13: `order_id` (the key), `customer_id`, `status`, `amount`
 * (two decimals), `currency`, `ordered_at` (ISO 8601 UTC, whole seconds), `shipped_on` (a date),
 * `quantity`, `express` (true/false) and `note`: mostly empty, one in twelve `"gift, wrapped"` (a
 * quoted comma) and one in twelve `"two\nlines"` (a quoted line break). About 77 bytes a row, so
 * 192 MB holds about 2.5 million rows. One row in 1000 is invalid (status `lost`).
 */
export const WIDE_ORDERS_HEADER =
  "order_id,customer_id,status,amount,currency,ordered_at,shipped_on,quantity,express,note\n";

/** The wide orders row `n` (from 1) of {@link WIDE_ORDERS_HEADER}, with its line break. */
function wideOrderRow(n: number): string {
  const day = (n % 28) + 1;
  const status = n % 1000 === 0 ? "lost" : STATUSES[n % 4]!;
  const time = `${TWO_DIGITS[n % 24]}:${TWO_DIGITS[n % 60]}:${TWO_DIGITS[(n * 7) % 60]}`;
  const note = n % 12 === 0 ? '"two\nlines"' : n % 6 === 0 ? '"gift, wrapped"' : "";
  return (
    `${n},${((n * 7919) % 1000003) + 1},${status},${n % 100000}.${TWO_DIGITS[n % 100]},EUR,` +
    `2026-11-${TWO_DIGITS[day]}T${time}Z,2026-12-${TWO_DIGITS[day]},${(n % 9) + 1},${n % 3 === 0},${note}\n`
  );
}

/**
 * Writes the wide orders CSV ({@link WIDE_ORDERS_HEADER}) of about `targetBytes` bytes to `path`,
 * read by {@link wideOrdersContract}; resolves with its row count (rejected rows included).
 */
export async function writeWideOrdersCsv(path: string, targetBytes: number): Promise<{ rows: number }> {
  const rows = await writeText(path, targetBytes, WIDE_ORDERS_HEADER, (n) => wideOrderRow(n), "");
  return { rows };
}

/**
 * The contract of {@link writeWideOrdersCsv}'s file: dataset and table `wide_orders`, keys under
 * `wide_orders/`, `order_id` its primary key.
 */
export function wideOrdersContract(): DatasetContract {
  return parseDatasetContract({
    name: "wide_orders",
    version: 1,
    description: "Issue 13's ten-column orders CSV with quoted notes (bench input).",
    match: { prefix: "wide_orders/" },
    format: { type: "csv", delimiter: ",", quote: '"', header: true },
    fields: [
      { name: "order_id", type: "integer", required: true, min: 1 },
      { name: "customer_id", type: "integer", required: true, min: 1 },
      { name: "status", type: "string", required: true, enum: STATUSES },
      { name: "amount", type: "decimal", required: true, min: 0, scale: 2 },
      { name: "currency", type: "string", required: true, pattern: "^[A-Z]{3}$" },
      { name: "ordered_at", type: "timestamp", required: true },
      { name: "shipped_on", type: "date" },
      { name: "quantity", type: "integer", required: true, min: 1 },
      { name: "express", type: "boolean", required: true },
      { name: "note", type: "string", maxLength: 500 },
    ],
    primaryKey: ["order_id"],
    table: "wide_orders",
    quarantine: { maxBadRowRatio: 0.2 },
  });
}

/** The contract the bench reads `format` by: the wide orders for CSV, the shipped orders otherwise. */
export function benchContract(base: DatasetContract, format: BenchFormat): DatasetContract {
  if (format === "csv") return wideOrdersContract();
  const fields = base.fields.map((field) =>
    format === "json" && field.name === "customer_id" ? { ...field, source: "customer.id" } : field,
  );
  return parseDatasetContract({ ...base, format: { type: format }, fields });
}

async function writeText(
  path: string,
  bytes: number,
  head: string,
  row: (n: number, first: boolean) => string,
  tail: string,
) {
  const out = createWriteStream(path, { highWaterMark: MB });
  let written = 0;
  let rows = 0;
  const write = async (text: string) => {
    written += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  await write(head);
  while (written < bytes) {
    let chunk = "";
    for (let i = 0; i < 1000; i++) {
      rows++;
      chunk += row(rows, rows === 1);
    }
    await write(chunk);
  }
  await write(tail);
  out.end();
  await once(out, "finish");
  return rows;
}

/**
 * 128 hex digits that differ from order to order: Parquet would otherwise encode the orders in
 * about 20 bytes each, and a 1 GB file would hold 50 million of them.
 */
function reference(n: number): string {
  let text = "";
  let state = n;
  for (let i = 0; i < 16; i++) {
    state = (Math.imul(state, 2654435761) + 0x9e3779b9) >>> 0;
    text += state.toString(16).padStart(8, "0");
  }
  return text;
}

async function writeParquet(path: string, bytes: number): Promise<number> {
  const writer = fileWriter(path);
  const parquet = new ParquetWriter({
    writer,
    schema: [
      { name: "root", num_children: 7 },
      { name: "order_id", type: "INT64", repetition_type: "REQUIRED" },
      { name: "customer_id", type: "INT64", repetition_type: "REQUIRED" },
      { name: "status", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      {
        name: "amount",
        type: "INT64",
        converted_type: "DECIMAL",
        scale: 2,
        precision: 12,
        repetition_type: "REQUIRED",
      },
      { name: "currency", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "ordered_at", type: "INT64", converted_type: "TIMESTAMP_MILLIS", repetition_type: "REQUIRED" },
      { name: "note", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "OPTIONAL" },
    ],
  });
  let rows = 0;
  while (writer.offset < bytes) {
    const batch = Array.from({ length: PARQUET_ROW_GROUP }, () => order(++rows));
    parquet.write({
      rowGroupSize: PARQUET_ROW_GROUP,
      columnData: [
        { name: "order_id", data: batch.map((o) => BigInt(o.orderId)) },
        { name: "customer_id", data: batch.map((o) => BigInt(o.customerId)) },
        { name: "status", data: batch.map((o) => o.status) },
        { name: "amount", data: batch.map((o) => BigInt(o.amount.replace(".", ""))) },
        { name: "currency", data: batch.map(() => "EUR") },
        { name: "ordered_at", data: batch.map((o) => new Date(o.orderedAt)) },
        { name: "note", data: batch.map((o) => `${o.note} ${reference(o.orderId)}`) },
      ],
    });
  }
  parquet.finish();
  return rows;
}

/** Writes the orders of about `bytes` bytes to `path` in `format`; returns the row count. */
export function generateOrders(format: BenchFormat, path: string, bytes: number): Promise<number> {
  switch (format) {
    case "csv":
      return writeWideOrdersCsv(path, bytes).then(({ rows }) => rows);
    case "json":
      return writeText(
        path,
        bytes,
        "[\n",
        (n, first) => {
          const o = order(n);
          return (
            `${first ? "" : ",\n"}  {"order_id": ${o.orderId}, "customer": {"id": ${o.customerId}}, "status": "${o.status}", ` +
            `"amount": ${o.amount}, "currency": "EUR", "ordered_at": "${o.orderedAt}", "note": ${JSON.stringify(o.note)}}`
          );
        },
        "\n]\n",
      );
    case "parquet":
      return writeParquet(path, bytes);
  }
}
