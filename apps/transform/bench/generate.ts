/**
 * Bench inputs: an orders export of about a given size as CSV, as a JSON array (each order's
 * customer nested, read by the dot path `customer.id`) or as Parquet (snappy, 100,000-row row
 * groups as hyparquet-writer writes by default, decimals as int64, timestamps in ms, and a
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

/** The shipped orders contract read from `format`. */
export function benchContract(base: DatasetContract, format: BenchFormat): DatasetContract {
  if (format === "csv") return base;
  const fields = base.fields.map((field) =>
    format === "json" && field.name === "customer_id" ? { ...field, source: "customer.id" } : field,
  );
  return parseDatasetContract({ ...base, format: { type: format }, fields });
}

async function writeText(
  path: string,
  bytes: number,
  head: string,
  row: (o: Order, first: boolean) => string,
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
      chunk += row(order(rows), rows === 1);
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

function csvValue(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
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
      return writeText(
        path,
        bytes,
        "order_id,customer_id,status,amount,currency,ordered_at,note\n",
        (o) =>
          `${o.orderId},${o.customerId},${o.status},${o.amount},EUR,${o.orderedAt},${csvValue(o.note)}\n`,
        "",
      );
    case "json":
      return writeText(
        path,
        bytes,
        "[\n",
        (o, first) =>
          `${first ? "" : ",\n"}  {"order_id": ${o.orderId}, "customer": {"id": ${o.customerId}}, "status": "${o.status}", ` +
          `"amount": ${o.amount}, "currency": "EUR", "ordered_at": "${o.orderedAt}", "note": ${JSON.stringify(o.note)}}`,
        "\n]\n",
      );
    case "parquet":
      return writeParquet(path, bytes);
  }
}
