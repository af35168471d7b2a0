import { copyFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { DatasetContractInput } from "@sluice/core";
import { parse } from "csv-parse/sync";
import { parquetWriteBuffer } from "hyparquet-writer";
import { EXIT } from "../../src";
import type { DryRunReport } from "../../src/dry-run/stage-dry-run";
import { cliWith, E2E_TEST_TIMEOUT_MS, folderGlobals, tempStateDir, testDatabases } from "../support/harness";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** Public data files of the npm package vega-datasets (a devDependency: read in place, never copied into the repo). */
const VEGA = join(__dirname, "..", "..", "node_modules", "vega-datasets", "data");

interface OnboardingCase {
  /** The file's name in the inbox (its folder is the dataset's prefix). */
  file: string;
  dataset: string;
  /** The file's rows as an independent parse reads them: values by the file's own column names or paths. */
  records: () => Promise<Record<string, unknown>[]>;
  /** Writes the file (default: copied from vega-datasets). */
  write?: (path: string) => Promise<void>;
}

const csvRecords =
  (name: string, delimiter = ",") =>
  async () =>
    parse(await readFile(join(VEGA, name)), { columns: true, delimiter }) as Record<string, unknown>[];
const jsonRecords = (name: string, path?: string) => async () => {
  const document = JSON.parse(await readFile(join(VEGA, name), "utf8"));
  return (path ? document[path] : document) as Record<string, unknown>[];
};

/** Cars as Parquet, written by hyparquet-writer: text, nullable doubles, 64-bit integers, dates. */
async function writeCarsParquet(path: string): Promise<void> {
  const cars = (await jsonRecords("cars.json")()) as Record<string, string | number | null>[];
  const file = parquetWriteBuffer({
    columnData: [
      { name: "Name", data: cars.map((car) => car.Name) },
      { name: "Miles_per_Gallon", data: cars.map((car) => car.Miles_per_Gallon) },
      { name: "Cylinders", data: cars.map((car) => BigInt(car.Cylinders!)) },
      { name: "Year", data: cars.map((car) => Date.parse(String(car.Year)) / 86_400_000) },
    ],
    rowGroupSize: 100,
    schema: [
      { name: "root", num_children: 4 },
      { name: "Name", type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" },
      { name: "Miles_per_Gallon", type: "DOUBLE", repetition_type: "OPTIONAL" },
      { name: "Cylinders", type: "INT64", repetition_type: "REQUIRED" },
      { name: "Year", type: "INT32", converted_type: "DATE", repetition_type: "REQUIRED" },
    ],
  });
  await writeFile(path, Buffer.from(file));
}

const CASES: OnboardingCase[] = [
  {
    file: "unemployment.tsv",
    dataset: "unemployment",
    records: csvRecords("unemployment.tsv", "\t"),
  },
  {
    file: "us-employment.csv",
    dataset: "us_employment",
    records: csvRecords("us-employment.csv"),
  },
  { file: "stocks.csv", dataset: "stocks", records: csvRecords("stocks.csv") },
  { file: "github.csv", dataset: "github", records: csvRecords("github.csv") },
  { file: "cars.json", dataset: "cars", records: jsonRecords("cars.json") },
  { file: "penguins.json", dataset: "penguins", records: jsonRecords("penguins.json") },
  {
    file: "earthquakes.json",
    dataset: "earthquakes",
    records: jsonRecords("earthquakes.json", "features"),
  },
  {
    file: "cars.parquet",
    dataset: "cars_parquet",
    records: jsonRecords("cars.json"),
    write: writeCarsParquet,
  },
];

const pathValue = (record: unknown, path: string): unknown =>
  path
    .split(".")
    .reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], record);
const sortKeys = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(sortKeys)
    : value !== null && typeof value === "object"
      ? Object.fromEntries(
          Object.entries(value)
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([k, v]) => [k, sortKeys(v)]),
        )
      : value;
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A file's value as the test reads it on its own, in the form a loaded value is compared in. */
function expected(raw: unknown, field: DatasetContractInput["fields"][number], nulls: string[]): unknown {
  if (raw === null || raw === undefined || (typeof raw === "string" && nulls.includes(raw))) return null;
  const text = String(raw);
  switch (field.type) {
    case "integer":
    case "decimal":
      return Number(raw);
    case "boolean":
      return raw === true || text === "true";
    case "json":
      return JSON.stringify(sortKeys(raw));
    case "date": {
      if (typeof raw === "number") return new Date(raw * 86_400_000).toISOString().slice(0, 10);
      const us = /^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$/.exec(text);
      if (us)
        return `${us[3]}-${String(MONTHS.indexOf(us[1]!) + 1).padStart(2, "0")}-${us[2]!.padStart(2, "0")}`;
      return text;
    }
    case "timestamp":
      if (field.format === "unix_ms") return Number(raw);
      return Date.parse(
        `${text.replace(/\//g, "-").replace(" ", "T")}${/Z|[+-]\d\d:?\d\d$/.test(text) ? "" : "Z"}`,
      );
    default:
      return text;
  }
}

/** A loaded value (from `to_jsonb`) in the form it is compared in. */
function loaded(value: unknown, field: DatasetContractInput["fields"][number]): unknown {
  if (value === null || value === undefined) return null;
  if (field.type === "timestamp") return Date.parse(String(value));
  if (field.type === "json") return JSON.stringify(sortKeys(value));
  if (field.type === "integer" || field.type === "decimal") return Number(value);
  return value;
}

const rowKey = (row: unknown[]) => JSON.stringify(row);

describe.each(testDatabases("vega"))("onboarding public files: infer → check → run on $kind", (database) => {
  let root: string;
  let cleanup: () => Promise<void>;
  let databaseUrl: string;
  const contracts = () => join(root, "contracts");
  const cli = cliWith(() => folderGlobals(root, databaseUrl));
  const inferred = new Map<string, { contract: DatasetContractInput; notes: string[] }>();
  const checked = new Map<string, { code: number; report: DryRunReport }>();
  let ran: { code: number; err: string };

  beforeAll(async () => {
    ({ dir: root, cleanup } = await tempStateDir());
    await mkdir(join(root, "state"));
    databaseUrl = await database.create(join(root, "state"));
    for (const c of CASES) {
      const path = join(root, "inbox", c.dataset, c.file);
      await mkdir(join(root, "inbox", c.dataset), { recursive: true });
      await (c.write ? c.write(path) : copyFile(join(VEGA, c.file), path));
      const out = join(contracts(), `${c.dataset}.json`);
      const infer = await cli("contract", "infer", path, "--name", c.dataset, "--out", out, "--json");
      inferred.set(c.file, JSON.parse(infer.out));
      const check = await cli("contract", "check", path, "--json");
      checked.set(c.file, { code: check.code, report: JSON.parse(check.out) });
    }
    ran = await cli("run", join(root, "inbox"));
  });
  afterAll(async () => {
    await database.drop(databaseUrl);
    await cleanup();
  });

  it.each(CASES.map((c) => [c.file, c] as const))("%s: the inferred contract checks clean", (file) => {
    expect(checked.get(file)).toMatchObject({ code: EXIT.ok, report: { rejected: 0 } });
    expect(checked.get(file)!.report.quarantine).toBeUndefined();
  });

  it("run loads every file with no reject", () => {
    expect(ran.err).toBe("");
    expect(ran.code).toBe(EXIT.ok);
  });

  it.each(CASES.map((c) => [c.file, c] as const))(
    "%s: the table equals an independent parse, value by value",
    async (file, c) => {
      const { contract } = inferred.get(file)!;
      const nulls = contract.nullValues ?? [""];
      const records = await c.records();
      const { out } = await cli("sql", `select to_jsonb(t) as row from ${contract.table} t`, "--json");
      const rows = (JSON.parse(out) as { row: Record<string, unknown> | string }[]).map((r) =>
        typeof r.row === "string" ? (JSON.parse(r.row) as Record<string, unknown>) : r.row,
      );

      const want = records.map((record) =>
        contract.fields.map((f) => expected(pathValue(record, f.source ?? f.name), f, nulls)),
      );
      const got = rows.map((row) => contract.fields.map((f) => loaded(row[f.name], f)));

      expect(got.map(rowKey).sort()).toEqual(want.map(rowKey).sort());
    },
  );
});
