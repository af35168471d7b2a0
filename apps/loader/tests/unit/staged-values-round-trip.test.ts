import { Readable } from "node:stream";
import {
  compileRowValidator,
  compileStagedRowEncoder,
  type DatasetContractInput,
  isRejection,
  type LoadTarget,
  parseDatasetContract,
} from "@sluice/core";
import { OPEN_TARGET_TIMEOUT_MS, type OpenTarget, targetKinds } from "../support/targets";

type FieldInput = DatasetContractInput["fields"][number];

/** One edge case: a raw value the validator must accept, and its text once in Postgres. */
type Case = [raw: unknown, stored: string | null];

const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("");
const astral = "😀 𝔸 𒀀 👩‍👩‍👧"; // paired surrogates only

/** Postgres column types, the contract field that loads as each, and the values it must carry unchanged. */
const EDGE_CASES: [string, Omit<FieldInput, "name">, Case[]][] = [
  [
    "text",
    { type: "string" },
    [
      [controls, controls],
      [`${controls}\u007f`, `${controls}\u007f`],
      [astral, astral],
      ['a,b "c" \\N \\. d', 'a,b "c" \\N \\. d'],
      ["line\n\\.\nafter", "line\n\\.\nafter"],
      ["\uFEFF\u2028\u0085", "\uFEFF\u2028\u0085"],
      ["x".repeat(10_000), "x".repeat(10_000)],
    ],
  ],
  [
    "bigint",
    { type: "integer" },
    [
      ["9223372036854775807", "9223372036854775807"],
      ["-9223372036854775808", "-9223372036854775808"],
      ["+007", "7"],
      ["-0", "0"],
      [9007199254740991, "9007199254740991"],
    ],
  ],
  [
    "numeric",
    { type: "decimal" },
    [
      [`1${"0".repeat(131_071)}`, `1${"0".repeat(131_071)}`],
      [`0.${"1".repeat(16_383)}`, `0.${"1".repeat(16_383)}`],
      ["-00012.50", "-12.50"],
      [".5", "0.5"],
    ],
  ],
  [
    "numeric(1000,30)",
    { type: "decimal", precision: 1000, scale: 30 },
    [
      [`${"9".repeat(970)}.${"9".repeat(30)}`, `${"9".repeat(970)}.${"9".repeat(30)}`],
      ["-0.000000000000000000000000000001", "-0.000000000000000000000000000001"],
    ],
  ],
  [
    "numeric(5,2)",
    { type: "decimal", precision: 5, scale: 2 },
    [
      ["999.99", "999.99"],
      ["000999.9", "999.90"],
      [-1.5, "-1.50"],
    ],
  ],
  [
    "date",
    { type: "date" },
    [
      ["0001-01-01", "0001-01-01"],
      ["9999-12-31", "9999-12-31"],
      ["2024-02-29", "2024-02-29"],
    ],
  ],
  [
    "timestamptz",
    { type: "timestamp" },
    [
      ["0001-01-01T00:00:00Z", "0001-01-01 00:00:00+00"],
      ["0001-01-01T01:00:00+01:00", "0001-01-01 00:00:00+00"],
      ["9999-12-31T23:59:59.999999Z", "9999-12-31 23:59:59.999999+00"],
      ["2026-11-27T10:15:30.000001Z", "2026-11-27 10:15:30.000001+00"],
      ["2026-11-27 11:15:30.1234567+01", "2026-11-27 10:15:30.123457+00"],
      ["2026-11-27T10:15:30.1234565Z", "2026-11-27 10:15:30.123456+00"],
      ["2026-11-27T10:15:30.123456789Z", "2026-11-27 10:15:30.123457+00"],
      ["2026-12-31T23:59:59.9999999Z", "2027-01-01 00:00:00+00"],
      ["2026-11-27T10:15:30.120Z", "2026-11-27 10:15:30.12+00"],
    ],
  ],
  [
    "boolean",
    { type: "boolean" },
    [
      ["t", "true"],
      [false, "false"],
    ],
  ],
];

function contractOf(field: Omit<FieldInput, "name">) {
  return parseDatasetContract({
    name: "edges",
    version: 1,
    match: { prefix: "edges/" },
    format: { type: "csv" },
    fields: [{ name: "v", ...field } as FieldInput],
    table: "edges",
  });
}

/**
 * COPYs `cases` through the validator and the staged row encoding into a fresh `type` column;
 * returns what Postgres holds.
 */
async function roundTrip(target: LoadTarget, type: string, field: Omit<FieldInput, "name">, cases: Case[]) {
  const contract = contractOf(field);
  const validate = compileRowValidator(contract);
  const encode = compileStagedRowEncoder(contract.fields);
  const staged = cases.map(([raw], i) => {
    const row = validate([raw], i + 1);
    if (isRejection(row)) throw new Error(`${JSON.stringify(raw).slice(0, 80)} refused: ${row.reason}`);
    return encode(i + 1, row);
  });
  return target.transaction(async (session) => {
    await session.query("SET LOCAL TimeZone = 'UTC'");
    await session.query("SET LOCAL DateStyle = 'ISO, YMD'");
    await session.query(`CREATE TEMP TABLE edges (_sluice_line bigint, v ${type}) ON COMMIT DROP`);
    await session.copyFrom("COPY edges (_sluice_line, v) FROM STDIN (FORMAT csv)", Readable.from(staged));
    // As bytes: PGlite's client drops a BOM that starts a text value it reads, the table does not.
    const result = await session.query<{ v: string | null }>(
      "SELECT encode(convert_to(v::text, 'UTF8'), 'base64') AS v FROM edges ORDER BY _sluice_line",
    );
    return result.rows.map((row) => (row.v === null ? null : Buffer.from(row.v, "base64").toString("utf8")));
  });
}

/** What Postgres makes of `raw` cast to `type` directly: its text, or the error it raises. */
async function castByPostgres(target: LoadTarget, raw: string, type: string): Promise<string> {
  return target
    .transaction(async (session) => {
      await session.query("SET LOCAL TimeZone = 'UTC'");
      const result = await session.query<{ v: string }>(`SELECT ($1::${type})::text AS v`, [raw]);
      return result.rows[0]!.v;
    })
    .catch((error: Error) => `error: ${error.message}`);
}

describe.each(targetKinds("staged_values"))("staged values against $name", (kind) => {
  let opened: OpenTarget;
  beforeAll(async () => {
    opened = await kind.open();
  }, OPEN_TARGET_TIMEOUT_MS);
  afterAll(async () => {
    await opened?.close();
  });

  test.each(EDGE_CASES)(
    "every accepted %s edge case COPYs into its column and reads back equal",
    async (type, field, cases) => {
      const stored = await roundTrip(opened.target, type, field, cases);

      expect(stored).toEqual(cases.map(([, expected]) => expected));
    },
  );

  test("the timestamps staged equal what Postgres reads from the raw text itself", async () => {
    const raws = EDGE_CASES.find(([type]) => type === "timestamptz")![2].map(([raw]) => String(raw));

    const direct = await Promise.all(raws.map((raw) => castByPostgres(opened.target, raw, "timestamptz")));
    const staged = await roundTrip(
      opened.target,
      "timestamptz",
      { type: "timestamp" },
      raws.map((raw) => [raw, null]),
    );

    expect(staged).toEqual(direct);
  });

  test.each([
    ["a NUL in text", "a\0b", "text", { type: "string" }],
    ["the year 0000 in a date", "0000-01-01", "date", { type: "date" }],
    ["the year 0000 in a timestamp", "0000-06-01T00:00:00Z", "timestamptz", { type: "timestamp" }],
    ["a decimal past numeric(5,2)", "1234.5", "numeric(5,2)", { type: "decimal", precision: 5, scale: 2 }],
    ["a decimal past numeric's limit", `1${"0".repeat(131_072)}`, "numeric", { type: "decimal" }],
  ] as const)("%s, which the validator refuses, Postgres refuses too", async (_name, raw, type, field) => {
    const refused = compileRowValidator(contractOf(field))([raw], 1);

    const byPostgres = await castByPostgres(opened.target, raw, type);

    expect(isRejection(refused)).toBe(true);
    expect(byPostgres).toMatch(/^error: /);
  });

  test("a lone surrogate, which the validator refuses, would reach Postgres altered", async () => {
    const refused = compileRowValidator(contractOf({ type: "string" }))(["a\uD800b"], 1);

    const byPostgres = await castByPostgres(opened.target, "a\uD800b", "text");

    expect(isRejection(refused)).toBe(true);
    expect(byPostgres).toBe("a\uFFFDb");
  });
});
