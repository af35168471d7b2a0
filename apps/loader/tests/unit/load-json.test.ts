import {
  compileRowValidator,
  type DatasetContract,
  type DatasetContractInput,
  isRejection,
  parseDatasetContract,
} from "@sluice/core";
import { loadStagedRun } from "../../src";
import { useLoadFixture } from "../support/load-fixture";
import { stageRun } from "../support/staging";
import { targetKinds } from "../support/targets";

/** Earthquake features (earthquakes.json's shape): the geometry and the properties stay nested. */
function quakesContract(table: string, format: DatasetContractInput["format"] = { type: "ndjson" }) {
  return parseDatasetContract({
    name: "quakes",
    version: 1,
    match: { prefix: "quakes/" },
    format,
    fields: [
      { name: "id", type: "string", required: true },
      { name: "geometry", type: "json", required: true },
      { name: "properties", type: "json" },
    ],
    primaryKey: ["id"],
    table,
  });
}

/** Validates raw records as the transform would, so only accepted values reach the stage. */
function normalised(contract: DatasetContract, records: unknown[][]): (string | null)[][] {
  const validate = compileRowValidator(contract);
  return records.map((record, i) => {
    const row = validate(record, i + 1);
    if (isRejection(row)) throw new Error(`record ${i + 1} refused: ${row.reason}`);
    return row;
  });
}

const QUAKES: [string, unknown, unknown][] = [
  [
    "ci37868143",
    { type: "Point", coordinates: [-118.6683, 34.4895, 7.86] },
    { mag: 2, place: "4km W of Castaic, CA", time: 1517966773840, felt: null, tsunami: 0 },
  ],
  [
    "quoting",
    {
      type: "LineString",
      coordinates: [
        [0, 0],
        [1.5e-7, -2.25e21],
      ],
    },
    { place: 'a,b "c" \\N \\. d', note: "line one\nline two\r\n\tend", path: "C:\\dir\\file" },
  ],
  ["unicode", ["😀 𝔸 𒀀 👩‍👩‍👧", "\u2028\u0085", "é"], { "": "", "key with spaces": [] }],
  ["scalars", "just a string", 42],
  ["empty", {}, null],
  ["deep", JSON.parse(`${"[".repeat(63)}1${"]".repeat(63)}`), [true, false, null]],
];

describe.each(targetKinds("load_json"))("json fields against $name", (kind) => {
  const fx = useLoadFixture(kind);

  async function storedValues(table: string): Promise<unknown[][]> {
    const result = await fx.target.query<{ id: string; geometry: unknown; properties: unknown }>(
      `SELECT id, geometry, properties FROM ${table} ORDER BY id`,
    );
    return result.rows.map((row) => [row.id, row.geometry, row.properties]);
  }

  test("nested values from a JSON source load into jsonb columns and read back equal", async () => {
    const table = fx.freshTable("quakes");
    const contract = quakesContract(table);
    const { store, deps } = fx.ports(contract);

    const outcome = await loadStagedRun(await stageRun(store, contract, normalised(contract, QUAKES)), deps);

    expect(outcome).toMatchObject({ inserted: QUAKES.length, rejected: 0 });
    expect(await fx.valuesOf(table, ["id"])).toHaveLength(QUAKES.length);
    const columns = await fx.target.query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position",
      [table],
    );
    expect(columns.rows.filter((c) => c.column_name !== "id").map((c) => c.data_type)).toEqual([
      "jsonb",
      "jsonb",
    ]);
    expect(await storedValues(table)).toEqual(
      [...QUAKES]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([id, geometry, properties]) => [id, geometry, properties]),
    );
  });

  test("a reload merges on the key: changed json updates, equal json (in any key order) is unchanged", async () => {
    const table = fx.freshTable("quakes");
    const contract = quakesContract(table);
    const { store, deps } = fx.ports(contract);
    await loadStagedRun(await stageRun(store, contract, normalised(contract, QUAKES.slice(0, 2))), deps);
    const [first, second] = QUAKES;
    const reordered = { coordinates: [-118.6683, 34.4895, 7.86], type: "Point" };

    const outcome = await loadStagedRun(
      await stageRun(
        store,
        contract,
        normalised(contract, [
          [first![0], reordered, first![2]],
          [second![0], second![1], { place: "moved" }],
        ]),
      ),
      deps,
    );

    expect(outcome).toMatchObject({ inserted: 0, updated: 1, unchanged: 1 });
    expect((await storedValues(table)).map(([, , properties]) => properties)).toEqual([
      first![2],
      { place: "moved" },
    ]);
  });

  test("JSON text from a CSV column loads as jsonb reads it, numbers beyond a double kept exactly", async () => {
    const table = fx.freshTable("quakes");
    const contract = quakesContract(table, { type: "csv" });
    const { store, deps } = fx.ports(contract);
    const text = '{"mag": 12345678901234567890.125, "tags": ["a", "b\\"c"], "note": "x\\ny"}';

    await loadStagedRun(await stageRun(store, contract, normalised(contract, [["csv-1", text, ""]])), deps);

    expect(await fx.valuesOf(table, ["id", "geometry", "properties"])).toEqual([
      ["csv-1", '{"mag": 12345678901234567890.125, "note": "x\\ny", "tags": ["a", "b\\"c"]}', null],
    ]);
  });

  test.each([
    ['{"a":"\\u0000"}', false],
    ['"\\ud800"', false],
    ['["\\udc00"]', false],
    ['"\\ud83dx"', false],
    ['"\\ud83d\\ude00"', true],
    ['"\\\\u0000"', true],
  ])(
    "the validator's verdict on the JSON text %s is Postgres jsonb's (accepted: %s)",
    async (text, accepted) => {
      const verdict = compileRowValidator(quakesContract("unused", { type: "csv" }))(["id", text, ""], 1);

      const byPostgres = await fx.target
        .query<{ v: string }>("SELECT $1::jsonb::text AS v", [text])
        .then(() => true)
        .catch(() => false);

      expect(!isRejection(verdict)).toBe(accepted);
      expect(byPostgres).toBe(accepted);
    },
  );
});
