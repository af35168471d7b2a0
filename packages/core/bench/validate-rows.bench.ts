/**
 * Row validation throughput: one million rows against a 10-column contract, on one core.
 * Target: at least 1.5 million rows/s. Rows are pre-split string arrays, as the CSV parser
 * hands them over, so this measures validation and normalisation alone.
 *
 * Two cases: `core.validate-rows`, a contract without value options (ISO dates, the default null
 * token, no trim: the budget the value options must not slow by more than 10%), and
 * `core.validate-rows.value-options`, the same columns read through `trim`, `nullValues`,
 * `trueValues`/`falseValues` and `format` patterns, so their cost is visible.
 *
 * Run: pnpm --filter @sluice/core bench   (SLUICE_BENCH_ROWS overrides the row count)
 */
import { compileRowValidator, type DatasetContract, isRejection, parseDatasetContract } from "../src";

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

/** The same columns written as exports from spreadsheets and R write them. */
const withOptions = parseDatasetContract({
  ...contract,
  name: "bench_options",
  nullValues: ["", "NA"],
  trim: true,
  fields: contract.fields.map((field) => {
    if (field.name === "paid") return { ...field, trueValues: ["Y"], falseValues: ["N"] };
    if (field.name === "ordered_on") return { ...field, format: "%b %d %Y" };
    if (field.name === "updated_at") return { ...field, format: "%Y/%m/%d %H:%M:%S" };
    return field;
  }),
});

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

// Pools of distinct rows, reused round-robin, so generating input is not what is measured.
const statuses = ["new", "paid", "shipped", "cancelled"];
const pool: string[][] = [];
const optionsPool: string[][] = [];
for (let i = 0; i < 4096; i++) {
  const month = i % 12;
  const day = (i % 28) + 1;
  pool.push([
    String(i + 1),
    String(100_000 + i * 7),
    statuses[i % 4]!,
    `${(i * 13) % 10_000}.${String(i % 100).padStart(2, "0")}`,
    "EUR",
    i % 3 === 0 ? "true" : "false",
    `2026-${String(month + 1).padStart(2, "0")}-${String(day).padStart(2, "0")}`,
    String(i % 50),
    i % 5 === 0 ? "" : `note ${i}`,
    i % 10 === 0 ? "2026-11-27T10:00:00Z" : "",
  ]);
  optionsPool.push([
    String(i + 1),
    String(100_000 + i * 7),
    ` ${statuses[i % 4]!}`,
    `${(i * 13) % 10_000}.${String(i % 100).padStart(2, "0")}`,
    "EUR ",
    i % 3 === 0 ? "Y" : "N",
    `${MONTHS[month]} ${day} 2026`,
    i % 7 === 0 ? "NA" : String(i % 50),
    i % 5 === 0 ? "NA" : `note ${i}`,
    i % 10 === 0 ? "2026/11/27 10:00:00" : "NA",
  ]);
}

function run(
  subject: DatasetContract,
  rows: number,
  input: string[][],
): { seconds: number; rejected: number } {
  const validate = compileRowValidator(subject);
  let rejected = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < rows; i++) {
    if (isRejection(validate(input[i & 4095]!, i + 2))) rejected++;
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, rejected };
}

/** Runs `subject` over `input` three times after a warm-up; prints the median as JSON and text. */
function measure(bench: string, subject: DatasetContract, input: string[][]): void {
  run(subject, 200_000, input); // warm up the JIT
  const results = [run(subject, ROWS, input), run(subject, ROWS, input), run(subject, ROWS, input)].sort(
    (a, b) => a.seconds - b.seconds,
  );
  const median = results[1]!;
  const rowsPerSecond = Math.round(ROWS / median.seconds);
  console.log(
    JSON.stringify({
      bench,
      rows: ROWS,
      columns: subject.fields.length,
      seconds: Number(median.seconds.toFixed(3)),
      rowsPerSecond,
      rejected: median.rejected,
      target: TARGET_ROWS_PER_SECOND,
      meetsTarget: rowsPerSecond >= TARGET_ROWS_PER_SECOND,
    }),
  );
  console.log(
    `${bench}: ${rowsPerSecond.toLocaleString("en")} rows/s (${ROWS.toLocaleString("en")} rows x ${subject.fields.length} columns, median of 3)`,
  );
}

measure("core.validate-rows", contract, pool);
measure("core.validate-rows.value-options", withOptions, optionsPool);
