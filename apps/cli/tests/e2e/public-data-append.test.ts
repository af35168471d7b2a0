import type { RunStatus } from "../../src";
import { useCliSession } from "../support/cli-session";
import { E2E_TEST_TIMEOUT_MS, testDatabases } from "../support/harness";
import {
  type ComparedField,
  expectedRows,
  parseCsvRecords,
  type TextRow,
  tableRowsSql,
  valueDifferences,
  vegaDataFile,
  vegaDataText,
} from "../support/public-data";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

// Three public tables without a natural key (event logs and yearly figures), loaded in append
// mode. Every column of these files has a contract type that holds its values exactly: the
// decimals are plain digits (no exponent, thousands separator or unit), the dates ISO
// YYYY-MM-DD, la-riots' one missing age an empty value (NULL); none needed string as a fallback.

/** la-riots.csv: deaths during the 1992 Los Angeles riots, one row per person (63 rows). */
const LA_RIOTS_FIELDS = [
  { name: "first_name", type: "string", required: true, maxLength: 40 },
  { name: "last_name", type: "string", required: true, maxLength: 40 },
  { name: "age", type: "integer", min: 0, max: 120 },
  { name: "gender", type: "string", enum: ["Female", "Male"] },
  { name: "race", type: "string", enum: ["Asian", "Black", "Latino", "White"] },
  { name: "death_date", type: "date", required: true },
  { name: "neighborhood", type: "string" },
  {
    name: "type",
    type: "string",
    enum: ["Death", "Homicide", "Not riot-related", "Officer-involved shooting"],
  },
  // 4 to 8 decimal places: a decimal without a scale keeps each value's digits as written.
  { name: "longitude", type: "decimal", min: -180, max: 180 },
  { name: "latitude", type: "decimal", min: -90, max: 90 },
];
const ADDRESS_FIELD = { name: "address", type: "string", maxLength: 80 };

/** The la_riots contract; version 1 leaves the file's `address` column out, version 2 takes it. */
function laRiotsContract(version: 1 | 2) {
  return {
    name: "la_riots",
    version,
    match: { prefix: "vega/la-riots" },
    format: { type: "csv" },
    fields: version === 1 ? LA_RIOTS_FIELDS : [...LA_RIOTS_FIELDS, ADDRESS_FIELD],
    table: "la_riots",
    load: { mode: "append" },
  };
}

/** disasters.csv: deaths by natural disaster kind and year (803 rows, no final line break). */
const DISASTERS_CONTRACT = {
  name: "disasters",
  version: 1,
  match: { prefix: "vega/disasters" },
  format: { type: "csv" },
  // The header is `Entity,Year,Deaths`: fields are lower-case identifiers, `source` names the column.
  fields: [
    { name: "entity", source: "Entity", type: "string", required: true },
    { name: "year", source: "Year", type: "integer", required: true, min: 1900, max: 2100 },
    { name: "deaths", source: "Deaths", type: "integer", required: true, min: 0 },
  ],
  // No primaryKey and no load section: append is the default.
  table: "disasters",
};

/** weather.csv: daily weather of Seattle and New York, 2012-2015 (2,922 rows). */
const WEATHER_CONTRACT = {
  name: "weather",
  version: 1,
  match: { prefix: "vega/weather" },
  format: { type: "csv" },
  fields: [
    { name: "location", type: "string", required: true, enum: ["New York", "Seattle"] },
    { name: "date", type: "date", required: true },
    // One decimal place each: numeric(4,1) columns print every value as the file writes it.
    { name: "precipitation", type: "decimal", precision: 4, scale: 1, min: 0 },
    { name: "temp_max", type: "decimal", precision: 4, scale: 1 },
    { name: "temp_min", type: "decimal", precision: 4, scale: 1 },
    { name: "wind", type: "decimal", precision: 4, scale: 1, min: 0 },
    { name: "weather", type: "string", enum: ["drizzle", "fog", "rain", "snow", "sun"] },
  ],
  table: "weather",
  load: { mode: "append" },
};

/** Each dataset: its file and how many data rows it has, its table and the fields compared. */
const DATASETS = [
  { file: "la-riots.csv", rows: 63, table: "la_riots", fields: LA_RIOTS_FIELDS },
  { file: "disasters.csv", rows: 803, table: "disasters", fields: DISASTERS_CONTRACT.fields },
  { file: "weather.csv", rows: 2922, table: "weather", fields: WEATHER_CONTRACT.fields },
];
const KEYS = DATASETS.map((dataset) => `vega/${dataset.file}`).sort();

describe.each(testDatabases("vega_append"))("public data loaded in append mode on $kind", (database) => {
  const session = useCliSession(database);

  /** `sluice run` of the three files straight from node_modules, keyed `vega/<file>`. */
  async function runAll(): Promise<RunStatus[]> {
    const files = DATASETS.map((dataset) => vegaDataFile(dataset.file));
    return session().runs("run", ...files, "--prefix", "vega/");
  }

  /** The table's rows beside the file's, parsed by the test. */
  async function tableAndFile(dataset: { file: string; table: string; fields: readonly ComparedField[] }) {
    const table = await session().sql<TextRow>(tableRowsSql(dataset.table, dataset.fields));
    const file = expectedRows(dataset.fields, parseCsvRecords(vegaDataText(dataset.file)));
    return { table, file };
  }

  async function rowCount(table: string): Promise<number> {
    return Number((await session().sql<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`))[0]!.n);
  }

  it("la-riots, disasters and weather load every row of the file once, value for value, traced to their run", async () => {
    await session().writeContracts(laRiotsContract(1), DISASTERS_CONTRACT, WEATHER_CONTRACT);

    const runs = await runAll();

    expect(runs.map((run) => [run.key, run.state, run.rows?.rejected]).sort()).toEqual([
      ["vega/disasters.csv", "loaded", 0],
      ["vega/la-riots.csv", "loaded", 0],
      ["vega/weather.csv", "loaded", 0],
    ]);
    for (const dataset of DATASETS) {
      const { table, file } = await tableAndFile(dataset);
      expect({ table: dataset.table, rows: table.length }).toEqual({
        table: dataset.table,
        rows: dataset.rows,
      });
      expect(valueDifferences(table, file)).toEqual([]);
      const runId = runs.find((run) => run.key === `vega/${dataset.file}`)!.runId;
      expect(await session().sql(`SELECT DISTINCT _sluice_run_id AS run_id FROM ${dataset.table}`)).toEqual([
        { run_id: runId },
      ]);
    }
  });

  it("a redelivery and a replay of the same runs add no row", async () => {
    await session().writeContracts(laRiotsContract(1), DISASTERS_CONTRACT, WEATHER_CONTRACT);
    await runAll();
    const before = await Promise.all(DATASETS.map((dataset) => rowCount(dataset.table)));

    const redelivered = await runAll();
    const replayed = await session().runs("replay", "--prefix", "vega/");

    expect(redelivered.map((run) => run.key).sort()).toEqual(KEYS);
    expect(replayed.map((run) => run.key).sort()).toEqual(KEYS);
    for (const run of [...redelivered, ...replayed])
      expect(run).toMatchObject({ state: "loaded", load: { alreadyLoaded: true } });
    expect(await Promise.all(DATASETS.map((dataset) => rowCount(dataset.table)))).toEqual(before);
    for (const dataset of DATASETS) {
      const { table, file } = await tableAndFile(dataset);
      expect(valueDifferences(table, file)).toEqual([]);
    }
  });

  it("a contract change then replay --dataset reloads la-riots in place: the new column filled, no row twice", async () => {
    await session().writeContracts(laRiotsContract(1));
    const [first] = await session().runs("run", vegaDataFile("la-riots.csv"), "--prefix", "vega/");
    await session().writeContracts(laRiotsContract(2));

    const replayed = await session().runs("replay", "--dataset", "la_riots");

    expect(replayed).toMatchObject([{ runId: first!.runId, state: "loaded" }]);
    const reloads = (await session().loadedEvents()).filter((loaded) => loaded.reloaded === true);
    expect(reloads.map((loaded) => [loaded.runId, loaded.previousContractVersion, loaded.deleted])).toEqual([
      [first!.runId, 1, 63],
    ]);
    const v2 = { file: "la-riots.csv", table: "la_riots", fields: [...LA_RIOTS_FIELDS, ADDRESS_FIELD] };
    const { table, file } = await tableAndFile(v2);
    expect(table).toHaveLength(63);
    expect(valueDifferences(table, file)).toEqual([]);
    expect(await session().sql("SELECT DISTINCT _sluice_run_id AS run_id FROM la_riots")).toEqual([
      { run_id: first!.runId },
    ]);
  });
});
