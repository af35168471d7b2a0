/**
 * Small-files bench: SLUICE_BENCH_FILES (default 200) orders CSVs of SLUICE_BENCH_FILE_ROWS rows
 * (default 2,000) go through the whole local pipeline as the user runs it — the built binary,
 * `sluice run <folder>` in a fresh process (its start, the contracts read, the runtime's start and
 * close are in the time) into a fresh Postgres database — and beside it, in the same run, ONE
 * `psql` session runs one `\copy` per file into a table of the same shape in another fresh
 * database (its connection and process start are in its time). Prints both and the ratio
 * (psql time / sluice time; the issue's aim is 0.50). psql runs before and after sluice, each into
 * a fresh database, and the faster is the reference.
 *
 * Needs SLUICE_TEST_DATABASE_URL, `psql` on PATH and the CLI built (`pnpm bench` builds it first).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLoadTarget } from "@sluice/loader";
import { dropDatabase, freshDatabase } from "./bench-support";

const FILES = Number(process.env.SLUICE_BENCH_FILES ?? 200);
const ROWS_PER_FILE = Number(process.env.SLUICE_BENCH_FILE_ROWS ?? 2000);
const serverUrl = process.env.SLUICE_TEST_DATABASE_URL;
const STATUSES = ["new", "paid", "shipped", "cancelled"];
const BINARY = resolve(__dirname, "..", "dist", "sluice.cjs");
const CONTRACTS = resolve(__dirname, "..", "..", "..", "packages", "datasets", "contracts");

/** Writes the files into `dir`; order ids run on across files, so every row has its own key. */
async function generateFiles(dir: string): Promise<number> {
  await mkdir(dir, { recursive: true });
  let bytes = 0;
  for (let file = 0; file < FILES; file++) {
    const lines = ["order_id,customer_id,status,amount,currency,ordered_at,note"];
    for (let i = 1; i <= ROWS_PER_FILE; i++) {
      const id = file * ROWS_PER_FILE + i;
      lines.push(
        `${id},${((id * 7919) % 100_000) + 1},${STATUSES[id % 4]},${(id % 100_000) / 100},EUR,2026-01-${String((id % 28) + 1).padStart(2, "0")}T10:${String(id % 60).padStart(2, "0")}:00Z,${id % 10 === 0 ? '"note, with comma"' : ""}`,
      );
    }
    const text = `${lines.join("\n")}\n`;
    bytes += text.length;
    await writeFile(join(dir, `part-${String(file).padStart(4, "0")}.csv`), text);
  }
  return bytes;
}

async function countRows(databaseUrl: string, table: string): Promise<number> {
  const target = createLoadTarget(databaseUrl);
  try {
    const result = await target.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await target.close();
  }
}

/** `sluice run --prefix orders/ <dir>` as a user types it: a new process, timed from spawn to exit. */
function sluiceRun(stateDir: string, databaseUrl: string, dir: string): number {
  const started = performance.now();
  execFileSync(
    process.execPath,
    [
      BINARY,
      "--state-dir",
      stateDir,
      "--database-url",
      databaseUrl,
      "--contracts",
      CONTRACTS,
      "run",
      "--prefix",
      "orders/",
      dir,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  return (performance.now() - started) / 1000;
}

/** One `psql` session: the table made first, then one `\copy` per file, timed from spawn to exit. */
async function psqlCopies(databaseUrl: string, dir: string, work: string): Promise<number> {
  execFileSync("psql", [
    databaseUrl,
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-c",
    "CREATE TABLE orders_copy (order_id bigint PRIMARY KEY, customer_id bigint NOT NULL, status text NOT NULL, amount numeric NOT NULL, currency text NOT NULL, ordered_at timestamptz NOT NULL, note text)",
  ]);
  const script = join(work, "copies.sql");
  const copies: string[] = [];
  for (let file = 0; file < FILES; file++) {
    const path = join(dir, `part-${String(file).padStart(4, "0")}.csv`).replace(/'/g, "''");
    copies.push(`\\copy orders_copy FROM '${path}' WITH (FORMAT csv, HEADER true)`);
  }
  await writeFile(script, `${copies.join("\n")}\n`);
  const started = performance.now();
  execFileSync("psql", [databaseUrl, "-v", "ON_ERROR_STOP=1", "-q", "-f", script]);
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  if (!serverUrl) {
    console.log("small-files bench: SLUICE_TEST_DATABASE_URL is not set: skipped");
    return;
  }
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: build the CLI first (pnpm bench does)`);
  const work = await mkdtemp(join(tmpdir(), "sluice-small-bench-"));
  const databases = [
    `sluice_bench_small_copy_${process.pid}`,
    `sluice_bench_small_run_${process.pid}`,
    `sluice_bench_small_copy_again_${process.pid}`,
  ];
  try {
    const dir = join(work, "files");
    const bytes = await generateFiles(dir);
    const rows = FILES * ROWS_PER_FILE;
    console.log(
      `small-files bench: ${FILES} files x ${ROWS_PER_FILE.toLocaleString("en")} rows (${(bytes / 1024 / 1024).toFixed(1)} MB), orders contract`,
    );
    // Read once so both sides find them in the page cache.
    for (let file = 0; file < FILES; file++)
      await readFile(join(dir, `part-${String(file).padStart(4, "0")}.csv`));
    const [copyUrl, runUrl, copyAgainUrl] = await Promise.all(
      databases.map((database) => freshDatabase(serverUrl!, database)),
    );
    // psql before and after sluice, the faster the reference: one session's time moves with the machine.
    const copies = [await psqlCopies(copyUrl!, dir, work)];
    const runSeconds = sluiceRun(join(work, "state"), runUrl!, dir);
    copies.push(await psqlCopies(copyAgainUrl!, dir, work));
    const copySeconds = Math.min(...copies);
    const copied = [await countRows(copyUrl!, "orders_copy"), await countRows(copyAgainUrl!, "orders_copy")];
    const loaded = await countRows(runUrl!, "orders");
    if (copied.some((n) => n !== rows) || loaded !== rows)
      throw new Error(
        `expected ${rows} rows on each side, found ${copied.join(" and ")} copied and ${loaded} loaded`,
      );
    const line = (label: string, seconds: number, extra = "") =>
      console.log(
        `  ${label.padEnd(40)} ${seconds.toFixed(2).padStart(6)} s  ${(FILES / seconds).toFixed(0).padStart(5)} files/s  ${Math.round(
          rows / seconds,
        )
          .toLocaleString("en")
          .padStart(9)} rows/s${extra}`,
      );
    line(
      "one psql session, one \\copy per file",
      copySeconds,
      `  (the faster of ${copies.map((c) => `${c.toFixed(2)} s`).join(" before and ")} after)`,
    );
    line(
      "sluice run <folder> (new process)",
      runSeconds,
      `  ratio ${(copySeconds / runSeconds).toFixed(2)} of psql (aim 0.50)`,
    );
  } finally {
    for (const database of databases) await dropDatabase(serverUrl!, database);
    await rm(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
