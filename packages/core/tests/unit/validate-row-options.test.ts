import {
  compileRowValidator,
  type DatasetContractInput,
  isRejection,
  type NormalizedRow,
  parseDatasetContract,
  type Rejection,
} from "../../src";

type FieldInput = DatasetContractInput["fields"][number];

/** A validator of `fields` under a csv contract with `options` (nullValues, trim, format…). */
function validatorOf(fields: FieldInput[], options: Partial<DatasetContractInput> = {}) {
  return compileRowValidator(
    parseDatasetContract({
      name: "options",
      version: 1,
      match: { prefix: "options/" },
      format: { type: "csv" },
      fields,
      table: "options",
      ...options,
    }),
  );
}

function accepted(validate: ReturnType<typeof validatorOf>, values: unknown[]): NormalizedRow {
  const result = validate(values, 4);
  if (isRejection(result))
    throw new Error(`expected ${JSON.stringify(values)} accepted, got ${result.reason}`);
  return result;
}

function refused(validate: ReturnType<typeof validatorOf>, values: unknown[]): Rejection {
  const result = validate(values, 4);
  if (!isRejection(result)) throw new Error(`expected ${JSON.stringify(values)} refused, got ${result}`);
  return result;
}

describe("nullValues", () => {
  it('reads only "" as NULL by default, and keeps text that looks like a null token', () => {
    const validate = validatorOf([{ name: "state", type: "string" }]);
    expect(accepted(validate, [""])).toEqual([null]);
    expect(accepted(validate, ["NA"])).toEqual(["NA"]);
  });

  it("reads the contract's tokens as NULL in every field (airports.csv writes a missing state as NA)", () => {
    const validate = validatorOf(
      [
        { name: "iata", type: "string", required: true },
        { name: "state", type: "string" },
        { name: "latitude", type: "decimal" },
      ],
      { nullValues: ["NA"] },
    );
    expect(accepted(validate, ["CLD", "NA", "33.127231"])).toEqual(["CLD", null, "33.127231"]);
    expect(accepted(validate, ["HHH", "SC", "NA"])).toEqual(["HHH", "SC", null]);
    expect(accepted(validate, ["MIB", "", "1"])).toEqual(["MIB", "", "1"]);
  });

  it("lets a field's own tokens replace the contract's (penguins.json writes an unknown sex as '.')", () => {
    const validate = validatorOf(
      [
        { name: "sex", type: "string", nullValues: [".", "NA"] },
        { name: "island", type: "string" },
      ],
      { nullValues: ["null", "N/A"] },
    );
    expect(accepted(validate, [".", "N/A"])).toEqual([null, null]);
    expect(accepted(validate, ["NA", "."])).toEqual([null, "."]);
    expect(accepted(validate, ["N/A", "null"])).toEqual(["N/A", null]);
  });

  it("refuses a null token in a required field, quoting the token", () => {
    const validate = validatorOf([{ name: "mpg", type: "decimal", required: true }], {
      nullValues: ["NA", ""],
    });
    expect(refused(validate, ["NA"])).toEqual({
      line: 4,
      field: "mpg",
      reason: 'required value is the null token "NA"',
      value: "NA",
    });
    expect(refused(validate, [""])).toMatchObject({ reason: "required value is empty" });
    expect(refused(validate, [null])).toMatchObject({ reason: "required value is missing" });
  });

  it("compares only text with the tokens: JSON null is NULL, a JSON number equal to a token is a number", () => {
    const validate = validatorOf([{ name: "reading", type: "integer" }], { nullValues: ["-999"] });
    expect(accepted(validate, ["-999"])).toEqual([null]);
    expect(accepted(validate, [-999])).toEqual(["-999"]);
    expect(accepted(validate, [null])).toEqual([null]);
  });

  it("with no tokens, an empty value is text: kept in a string field, refused as a number", () => {
    const validate = validatorOf([
      { name: "note", type: "string", nullValues: [] },
      { name: "n", type: "integer", nullValues: [] },
    ]);
    expect(accepted(validate, ["", "1"])).toEqual(["", "1"]);
    expect(refused(validate, ["", ""])).toMatchObject({ field: "n", reason: "not an integer" });
  });
});

describe("trim", () => {
  it("keeps the spaces of text by default", () => {
    expect(accepted(validatorOf([{ name: "name", type: "string" }]), ["  padded "])).toEqual(["  padded "]);
  });

  it("strips whitespace before the null tokens and the type when the contract asks", () => {
    const validate = validatorOf(
      [
        { name: "symbol", type: "string" },
        { name: "price", type: "decimal" },
        { name: "note", type: "string", trim: false },
      ],
      { trim: true, nullValues: ["NA"] },
    );
    expect(accepted(validate, [" MSFT\t", " 39.81 ", "  kept  "])).toEqual(["MSFT", "39.81", "  kept  "]);
    expect(accepted(validate, ["  NA ", "NA", " NA "])).toEqual([null, null, " NA "]);
  });

  it("turns whitespace-only text into the empty token, so it is NULL", () => {
    const validate = validatorOf([{ name: "name", type: "string", trim: true }]);
    expect(accepted(validate, ["   "])).toEqual([null]);
  });
});

describe("trueValues and falseValues", () => {
  const validate = validatorOf([
    { name: "active", type: "boolean", trueValues: ["Active", "A"], falseValues: ["Inactive", "I"] },
  ]);

  it("reads the field's words, case as written, whitespace around them ignored", () => {
    expect([accepted(validate, ["Active"]), accepted(validate, [" I "]), accepted(validate, [true])]).toEqual(
      [["true"], ["false"], ["true"]],
    );
  });

  it("refuses other words, naming the field's", () => {
    expect(refused(validate, ["active"])).toMatchObject({
      reason: "not a boolean (true: Active, A; false: Inactive, I)",
    });
    expect(refused(validate, ["true"])).toMatchObject({ field: "active" });
  });

  it("keeps the default words for the side a field does not give", () => {
    const yesOnly = validatorOf([{ name: "flag", type: "boolean", trueValues: ["X"] }]);
    expect([accepted(yesOnly, ["X"]), accepted(yesOnly, ["no"])]).toEqual([["true"], ["false"]]);
  });

  it("refuses a contract whose words mean both true and false", () => {
    expect(() => validatorOf([{ name: "flag", type: "boolean", trueValues: ["N"] }])).toThrow(
      /fields\[0\]\.trueValues: N cannot mean both true and false/,
    );
  });
});

describe("format", () => {
  it("reads stocks.csv dates (%b %d %Y) and github.csv timestamps (%Y/%m/%d %H:%M:%S)", () => {
    const validate = validatorOf([
      { name: "date", type: "date", required: true, format: "%b %d %Y" },
      { name: "time", type: "timestamp", format: "%Y/%m/%d %H:%M:%S" },
    ]);
    expect(accepted(validate, ["Jan 1 2000", "2015/01/01 01:00:00"])).toEqual([
      "2000-01-01",
      "2015-01-01T01:00:00.000Z",
    ]);
    expect(refused(validate, ["2000-01-01", ""])).toEqual({
      line: 4,
      field: "date",
      reason: 'not a date in format "%b %d %Y": expected a month name (Jan-Dec) at character 1',
      value: "2000-01-01",
    });
  });

  it("reads earthquakes.json times as unix_ms from JSON numbers", () => {
    const validate = validatorOf([{ name: "time", type: "timestamp", format: "unix_ms" }]);
    expect(accepted(validate, [1517966773840])).toEqual(["2018-02-07T01:26:13.840Z"]);
  });

  it("names the field and the problem of an impossible format when the contract is read", () => {
    expect(() => validatorOf([{ name: "day", type: "date", format: "%Y-%m-%d %H:%M" }])).toThrow(
      'fields[0].format: field day: format "%Y-%m-%d %H:%M": a date format cannot hold a time of day (%H %M); declare the field a timestamp',
    );
  });
});

describe("values from Parquet", () => {
  const validate = validatorOf([
    { name: "id", type: "integer" },
    { name: "amount", type: "decimal" },
    { name: "day", type: "date" },
    { name: "at", type: "timestamp" },
  ]);

  it("reads a bigint as an integer or decimal and a Date as a date or timestamp", () => {
    expect(
      accepted(validate, [
        9007199254740993n,
        -12n,
        new Date("2024-02-29T00:00:00Z"),
        new Date("2026-11-27T10:15:30.123Z"),
      ]),
    ).toEqual(["9007199254740993", "-12", "2024-02-29", "2026-11-27T10:15:30.123Z"]);
  });

  it("refuses a bigint past 64 bits, a Date with a time as a date, and an invalid Date, quoting each", () => {
    expect(refused(validate, [2n ** 63n])).toMatchObject({
      reason: "integer out of 64-bit range",
      value: "9223372036854775808",
    });
    expect(refused(validate, [1n, 1n, new Date("2024-02-29T06:00:00Z")])).toMatchObject({
      field: "day",
      reason: expect.stringMatching(/^has a time of day/),
    });
    expect(refused(validate, [1n, 1n, null, new Date(Number.NaN)])).toMatchObject({
      field: "at",
      reason: "an invalid Date",
    });
  });
});
