import {
  compileRowValidator,
  compileStagedRowEncoder,
  encodeCsvRow,
  isRejection,
  parseDatasetContract,
  type Rejection,
} from "../../src";

const contract = parseDatasetContract({
  name: "orders",
  version: 1,
  match: { prefix: "orders/" },
  format: { type: "csv" },
  fields: [
    { name: "id", type: "integer", required: true, min: 1 },
    { name: "amount", type: "decimal", scale: 2, min: 0, max: 1000 },
    { name: "status", type: "string", enum: ["new", "paid"] },
    { name: "paid", type: "boolean" },
    { name: "day", type: "date" },
    { name: "at", type: "timestamp" },
    { name: "code", type: "string", pattern: "^[A-Z]{3}$", maxLength: 3 },
  ],
  primaryKey: ["id"],
  table: "orders",
});
const validate = compileRowValidator(contract);

function rejection(values: unknown[], line = 7): Rejection {
  const result = validate(values, line);
  if (!isRejection(result)) throw new Error(`expected a rejection, got ${JSON.stringify(result)}`);
  return result;
}

describe("compileRowValidator", () => {
  it("normalises a valid row to canonical Postgres text in field order", () => {
    expect(
      validate(["+007", " 12.50 ", "paid", "Yes", "2024-02-29", "2026-11-27 10:15:30.5+01:00", "EUR"], 2),
    ).toEqual(["7", "12.50", "paid", "true", "2024-02-29", "2026-11-27T09:15:30.500Z", "EUR"]);
  });

  it("turns empty optional values into NULL", () => {
    expect(validate(["1", "", undefined, "", "", "", ""], 2)).toEqual([
      "1",
      null,
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it("accepts typed JSON values from NDJSON", () => {
    expect(validate([42, 9.5, "new", false, "2026-01-31", "2026-01-31T00:00:00Z", null], 1)).toEqual([
      "42",
      "9.5",
      "new",
      "false",
      "2026-01-31",
      "2026-01-31T00:00:00.000Z",
      null,
    ]);
  });

  it.each([
    ["2026-11-27T10:15:30Z", "2026-11-27T10:15:30.000Z"],
    ["2026-11-27T10:15:30.123Z", "2026-11-27T10:15:30.123Z"],
    ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"],
    ["2000-02-29T00:00:00Z", "2000-02-29T00:00:00.000Z"],
    ["2026-11-27T10:15:30.1Z", "2026-11-27T10:15:30.100Z"],
    ["2026-11-27T10:15:30.123456Z", "2026-11-27T10:15:30.123456Z"],
    ["2026-11-27T10:15:30.123000Z", "2026-11-27T10:15:30.123Z"],
    ["2026-12-31T10:15:30Z", "2026-12-31T10:15:30.000Z"],
    [" 2026-11-27T10:15:30Z ", "2026-11-27T10:15:30.000Z"],
    ["2026-11-27T10:15Z", "2026-11-27T10:15:00.000Z"],
  ])("normalises the UTC timestamp %s to %s", (raw, canonical) => {
    expect(validate(["1", "", "", "", "", raw, ""], 2)).toEqual([
      "1",
      null,
      null,
      null,
      null,
      canonical,
      null,
    ]);
  });

  it.each([
    "2023-02-29T10:00:00Z",
    "2024-02-30T10:00:00Z",
    "2026-04-31T10:00:00Z",
    "2026-00-10T10:00:00Z",
    "2026-11-00T10:00:00Z",
    "2026-13-01T10:00:00Z",
    "2026-11-27T24:00:00Z",
    "2026-11-27T10:60:00Z",
    "2026-11-27T10:00:60Z",
  ])("rejects the impossible UTC timestamp %s", (raw) => {
    expect(rejection(["1", "", "", "", "", raw])).toMatchObject({
      field: "at",
      reason: "not a valid timestamp",
    });
  });

  it.each([
    "2026-11-27T1a:00:00Z",
    "2026-11-27X10:00:00Z",
    "2026-11-27T10:00:00.12xZ",
    "2026/11/27T10:00:00Z",
  ])("rejects the malformed timestamp %s", (raw) => {
    expect(rejection(["1", "", "", "", "", raw])).toMatchObject({
      field: "at",
      reason: expect.stringMatching(/^not a (valid )?timestamp/),
    });
  });

  it("keeps 64-bit integers exact and refuses ones beyond int64", () => {
    const big = compileRowValidator(
      parseDatasetContract({ ...contract, fields: [{ name: "id", type: "integer", required: true }] }),
    );
    expect(big(["9223372036854775807"], 1)).toEqual(["9223372036854775807"]);
    expect(big(["-9223372036854775808"], 1)).toEqual(["-9223372036854775808"]);
    expect(big(["9223372036854775808"], 1)).toMatchObject({ reason: "integer out of 64-bit range" });
    expect(big([2 ** 60], 1)).toMatchObject({ reason: expect.stringMatching(/not exactly representable/) });
  });

  it.each([
    ["a missing required value", [undefined], "id", "required value is missing"],
    ["an empty required value", [""], "id", "required value is empty"],
    ["a non-integer", ["12a"], "id", "not an integer"],
    ["a lone sign", ["-"], "id", "not an integer"],
    ["a fractional integer", [1.5], "id", "not an integer"],
    ["an integer below min", ["0"], "id", "less than minimum 1"],
    ["a decimal with too many places", ["1", "1.234"], "amount", "more than 2 decimal places"],
    ["a decimal above max", ["1", "1000.01"], "amount", "greater than maximum 1000"],
    ["a non-decimal", ["1", "1,5"], "amount", "not a decimal"],
    ["a value outside the enum", ["1", "", "lost"], "status", "not one of new, paid"],
    ["a non-boolean", ["1", "", "", "maybe"], "paid", expect.stringMatching(/^not a boolean/)],
    ["an impossible date", ["1", "", "", "", "2023-02-29"], "day", "not a valid date (YYYY-MM-DD)"],
    ["a date in another format", ["1", "", "", "", "29/02/2024"], "day", "not a valid date (YYYY-MM-DD)"],
    ["a date in month 0", ["1", "", "", "", "2026-00-10"], "day", "not a valid date (YYYY-MM-DD)"],
    ["a 31st of a 30-day month", ["1", "", "", "", "2026-04-31"], "day", "not a valid date (YYYY-MM-DD)"],
    [
      "a 29th of February in a century year",
      ["1", "", "", "", "1900-02-29"],
      "day",
      "not a valid date (YYYY-MM-DD)",
    ],
    [
      "a date with a letter in its year",
      ["1", "", "", "", "20a6-04-01"],
      "day",
      "not a valid date (YYYY-MM-DD)",
    ],
    ["an invalid timestamp", ["1", "", "", "", "", "2026-11-27T25:00:00Z"], "at", "not a valid timestamp"],
    ["a pattern mismatch", ["1", "", "", "", "", "", "eur"], "code", "does not match pattern ^[A-Z]{3}$"],
    ["a value too long", ["1", "", "", "", "", "", "EURO"], "code", "longer than 3 characters"],
  ])("rejects %s naming line, field and reason", (_name, values, field, reason) => {
    expect(rejection(values)).toMatchObject({ line: 7, field, reason });
  });

  it("quotes the raw value back, truncated", () => {
    expect(rejection(["x".repeat(500)]).value).toHaveLength(201);
    expect(rejection(["12a"]).value).toBe("12a");
  });

  it("rejects objects where a string is expected", () => {
    expect(rejection(["1", "", { a: 1 }])).toMatchObject({
      field: "status",
      reason: "expected a string, got an object",
    });
  });
});

describe("encodeCsvRow", () => {
  it("writes NULL as an empty field and the empty string quoted", () => {
    expect(encodeCsvRow(["1", null, ""])).toBe('1,,""\n');
  });

  it("quotes delimiters, quotes, newlines and backslashes", () => {
    expect(encodeCsvRow(["a,b", 'say "hi"', "two\nlines", "c:\\dir"])).toBe(
      '"a,b","say ""hi""","two\nlines","c:\\dir"\n',
    );
  });
});

describe("compileStagedRowEncoder", () => {
  it("encodes the line, then the validated row exactly as encodeCsvRow does", () => {
    const encode = compileStagedRowEncoder(contract.fields);
    const rows = [
      ["+007", " 12.50 ", "paid", "Yes", "2024-02-29", "2026-11-27 10:15:30.5+01:00", "EUR"],
      ["1", "", "", "", "", "", ""],
      ["3", "0.5", "new", "0", "2026-01-31", "2026-01-31T00:00:00Z", "ABC"],
    ].map((values) => validate(values, 1));
    rows.forEach((row, i) => {
      if (isRejection(row)) throw new Error(`expected a valid row, got ${JSON.stringify(row)}`);
      expect(encode(i + 2, row)).toBe(encodeCsvRow([String(i + 2), ...row]));
    });
  });

  it.each([0, 7, 999, 1000, 1001, 10_010, 999_999, 1_000_000, 1_234_567, 2 ** 40 + 5])(
    "writes the line %s as its decimal digits",
    (line) => {
      expect(compileStagedRowEncoder([{ type: "integer" }])(line, ["1"])).toBe(`${String(line)},1\n`);
    },
  );

  it("still quotes string columns", () => {
    const encode = compileStagedRowEncoder([{ type: "integer" }, { type: "string" }, { type: "string" }]);
    expect(encode(12, ["1", 'a,"b"', ""])).toBe('12,1,"a,""b""",""\n');
    expect(encode(13, ["2", null, "two\nlines"])).toBe('13,2,,"two\nlines"\n');
  });
});
