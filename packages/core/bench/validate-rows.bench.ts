/**
 * Row validation throughput: one million rows against a 10-column contract, on one core.
 * Target: at least 1.5 million rows/s. Rows are pre-split string arrays, as the CSV parser
 * hands them over, so this measures validation and normalisation alone.
 *
 * Run: pnpm --filter @sluice/core bench   (SLUICE_BENCH_ROWS overrides the row count)
 */
import { compileRowValidator, isRejection, parseDatasetContract } from "../src";

const ROWS = Number(process.env.SLUICE_BENCH_ROWS ?? 1_000_000);
const TARGET_ROWS_PER_SECOND = 1_500_000;

const contract = parseDatasetContract({
  name: "bench",
  version: 1,
  match: { prefix: "bench/" },
  format: { type: "csv" },
  fields: [
    { name: "id", type: "integer", required: true, min: 1 },
    { name: "customer_id", type: "integer", required: true },
    { name: "status", type: "string", required: true, enum: ["new", "paid", "shipped", "cancelled"] },
    { name: "amount", type: "decimal", required: true, scale: 2, min: 0 },
    { name: "currency", type: "string", required: true, maxLength: 3 },
    { name: "paid", type: "boolean" },
    { name: "ordered_on", type: "date", required: true },
    { name: "quantity", type: "integer", min: 0, max: 10_000 },
    { name: "note", type: "string", maxLength: 200 },
    { name: "updated_at", type: "timestamp" },
  ],
  primaryKey: ["id"],
  table: "bench",
});

// A pool of distinct rows, reused round-robin, so generating input is not what is measured.
const statuses = ["new", "paid", "shipped", "cancelled"];
const pool: string[][] = [];
for (let i = 0; i < 4096; i++) {
  pool.push([
    String(i + 1),
    String(100_000 + i * 7),
    statuses[i % 4]!,
    `${(i * 13) % 10_000}.${String(i % 100).padStart(2, "0")}`,
    "EUR",
    i % 3 === 0 ? "true" : "false",
    `2026-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}`,
    String(i % 50),
    i % 5 === 0 ? "" : `note ${i}`,
    i % 10 === 0 ? "2026-11-27T10:00:00Z" : "",
  ]);
}

function run(rows: number): { seconds: number; rejected: number } {
  const validate = compileRowValidator(contract);
  let rejected = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) {
    if (isRejection(validate(pool[i & 4095]!, i + 2))) rejected++;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rejected };
}

run(200_000); // warm up the JIT
const results = [run(ROWS), run(ROWS), run(ROWS)].sort((a, b) => a.seconds - b.seconds);
const median = results[1]!;
const rowsPerSecond = Math.round(ROWS / median.seconds);
console.log(
  JSON.stringify({
    bench: "core.validate-rows",
    rows: ROWS,
    columns: contract.fields.length,
    seconds: Number(median.seconds.toFixed(3)),
    rowsPerSecond,
    rejected: median.rejected,
    target: TARGET_ROWS_PER_SECOND,
    meetsTarget: rowsPerSecond >= TARGET_ROWS_PER_SECOND,
  }),
);
console.log(
  `validate-rows: ${rowsPerSecond.toLocaleString("en")} rows/s (${ROWS.toLocaleString("en")} rows x ${contract.fields.length} columns, median of 3)`,
);
