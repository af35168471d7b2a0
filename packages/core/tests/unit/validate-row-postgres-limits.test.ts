import {
  compileRowValidator,
  type DatasetContractInput,
  isRejection,
  type NormalizedRow,
  parseDatasetContract,
  type Rejection,
} from "../../src";

type FieldInput = DatasetContractInput["fields"][number];

/** A validator of one field named `v`. */
function validatorOf(field: Omit<FieldInput, "name">) {
  return compileRowValidator(
    parseDatasetContract({
      name: "limits",
      version: 1,
      match: { prefix: "limits/" },
      format: { type: "csv" },
      fields: [{ name: "v", ...field } as FieldInput],
      table: "limits",
    }),
  );
}

function accepted(validate: ReturnType<typeof validatorOf>, raw: unknown): string | null {
  const result = validate([raw], 3);
  if (isRejection(result)) throw new Error(`expected ${JSON.stringify(raw)} accepted, got ${result.reason}`);
  return (result as NormalizedRow)[0]!;
}

function refused(validate: ReturnType<typeof validatorOf>, raw: unknown): Rejection {
  const result = validate([raw], 3);
  if (!isRejection(result)) throw new Error(`expected ${JSON.stringify(raw)} refused, got ${result[0]}`);
  return result;
}

describe("text Postgres cannot hold", () => {
  const text = validatorOf({ type: "string" });
  const NUL = "contains a NUL character, which Postgres text cannot hold";
  const LONE = /^contains a lone UTF-16 surrogate/;

  it.each([
    ["a NUL byte in the middle", "a\0b"],
    ["a NUL from a JSON \\u0000 escape", JSON.parse('"x\\u0000"')],
    ["only a NUL", "\0"],
  ])("rejects %s naming field, line and reason", (_name, raw) => {
    expect(refused(text, raw)).toEqual({ line: 3, field: "v", reason: NUL, value: raw });
  });

  it.each([
    ["a lone high surrogate", "a\uD800b"],
    ["a lone low surrogate", "\uDC00"],
    ["a high surrogate at the end", "emoji cut \uD83D"],
    ["a pair written low then high", "\uDE00\uD83D"],
  ])("rejects %s", (_name, raw) => {
    expect(refused(text, raw)).toMatchObject({ field: "v", reason: expect.stringMatching(LONE) });
  });

  it("keeps paired surrogates (astral-plane characters) and every other control character", () => {
    const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join("");
    const astral = "emoji 😀, math 𝔸, cuneiform 𒀀";
    expect(accepted(text, controls)).toBe(controls);
    expect(accepted(text, astral)).toBe(astral);
    expect(accepted(text, "\u007f\u0085\u2028\uFEFF")).toBe("\u007f\u0085\u2028\uFEFF");
  });

  it("refuses a NUL even where the value matches the field's pattern", () => {
    expect(refused(validatorOf({ type: "string", pattern: "^a" }), "a\0")).toMatchObject({ reason: NUL });
  });

  it("accepts values of a clean enum without change", () => {
    expect(accepted(validatorOf({ type: "string", enum: ["new", "päid 😀"] }), "päid 😀")).toBe("päid 😀");
  });
});

describe("dates and timestamps outside Postgres's range", () => {
  const date = validatorOf({ type: "date" });
  const timestamp = validatorOf({ type: "timestamp" });
  const YEAR_ZERO = /^year 0000 does not exist/;
  const OUT_OF_RANGE = /^outside 0001-01-01T00:00:00Z \.\. 9999-12-31T23:59:59\.999999Z/;

  it("rejects the year 0000 in a date, which Postgres refuses", () => {
    expect(refused(date, "0000-01-01")).toMatchObject({ reason: expect.stringMatching(YEAR_ZERO) });
  });

  it("accepts the first and last dates of 4-digit years", () => {
    expect(accepted(date, "0001-01-01")).toBe("0001-01-01");
    expect(accepted(date, "9999-12-31")).toBe("9999-12-31");
  });

  it.each([
    "0000-01-01T00:00:00Z",
    "0000-01-01T00:00:00.000Z",
    "0000-06-01 10:00:00",
    "0000-02-29T00:00+01:00",
  ])("rejects the year 0000 in the timestamp %s", (raw) => {
    expect(refused(timestamp, raw)).toMatchObject({ reason: expect.stringMatching(YEAR_ZERO) });
  });

  it.each([
    ["before year 1 once in UTC", "0001-01-01T00:30:00+01:00"],
    ["after year 9999 once in UTC", "9999-12-31T23:30:00-01:00"],
    ["rounded past the last microsecond", "9999-12-31T23:59:59.9999996Z"],
  ])("rejects a timestamp %s", (_name, raw) => {
    expect(refused(timestamp, raw)).toMatchObject({ reason: expect.stringMatching(OUT_OF_RANGE) });
  });

  it("accepts the first and last instants of 4-digit years", () => {
    expect(accepted(timestamp, "0001-01-01T00:00:00Z")).toBe("0001-01-01T00:00:00.000Z");
    expect(accepted(timestamp, "0001-01-01T01:00:00+01:00")).toBe("0001-01-01T00:00:00.000Z");
    expect(accepted(timestamp, "9999-12-31T23:59:59.999999Z")).toBe("9999-12-31T23:59:59.999999Z");
  });
});

describe("timestamps keep microseconds", () => {
  const timestamp = validatorOf({ type: "timestamp" });

  it.each([
    ["2026-11-27T10:15:30.123456Z", "2026-11-27T10:15:30.123456Z"],
    ["2026-11-27T10:15:30.000001Z", "2026-11-27T10:15:30.000001Z"],
    ["2026-11-27T10:15:30.123000Z", "2026-11-27T10:15:30.123Z"],
    ["2026-11-27T10:15:30.000000Z", "2026-11-27T10:15:30.000Z"],
    ["2026-11-27 10:15:30.0004", "2026-11-27T10:15:30.000400Z"],
    ["2026-11-27T11:15:30.123456+01:00", "2026-11-27T10:15:30.123456Z"],
    ["2026-11-27T10:15:30.12345Z", "2026-11-27T10:15:30.123450Z"],
  ])("normalises %s to %s", (raw, canonical) => {
    expect(accepted(timestamp, raw)).toBe(canonical);
  });

  it.each([
    ["rounds a 7th digit above 5 up", "2026-11-27T10:15:30.1234567Z", "2026-11-27T10:15:30.123457Z"],
    ["rounds a 7th digit below 5 down", "2026-11-27T10:15:30.123456499Z", "2026-11-27T10:15:30.123456Z"],
    ["rounds a half above the tie up", "2026-11-27T10:15:30.123456501Z", "2026-11-27T10:15:30.123457Z"],
    ["rounds an exact half to even (down)", "2026-11-27T10:15:30.1234565Z", "2026-11-27T10:15:30.123456Z"],
    ["rounds an exact half to even (up)", "2026-11-27T10:15:30.1234575Z", "2026-11-27T10:15:30.123458Z"],
    ["carries a rounding into the next day", "2026-12-31T23:59:59.9999999Z", "2027-01-01T00:00:00.000Z"],
    ["keeps nanoseconds' microseconds", "2026-11-27T10:15:30.123456000Z", "2026-11-27T10:15:30.123456Z"],
  ])("%s", (_name, raw, canonical) => {
    expect(accepted(timestamp, raw)).toBe(canonical);
  });
});

describe("decimals beyond the column's precision", () => {
  it("rejects more digits before the point than numeric(p,s) holds, leading zeros aside", () => {
    const money = validatorOf({ type: "decimal", precision: 5, scale: 2 });
    expect(refused(money, "1234.5")).toMatchObject({
      field: "v",
      reason: "more than 3 digits before the decimal point (numeric(5,2))",
      value: "1234.5",
    });
    expect(accepted(money, "999.99")).toBe("999.99");
    expect(accepted(money, "-999.99")).toBe("-999.99");
    expect(accepted(money, "000999.9")).toBe("000999.9");
    expect(accepted(money, 999.5)).toBe("999.5");
    expect(refused(money, 1000)).toMatchObject({ reason: expect.stringMatching(/^more than 3 digits/) });
  });

  it("reads a precision without scale as numeric(p,0): whole numbers only", () => {
    const whole = validatorOf({ type: "decimal", precision: 3 });
    expect(accepted(whole, "999")).toBe("999");
    expect(refused(whole, "1000")).toMatchObject({
      reason: "more than 3 digits before the decimal point (numeric(3,0))",
    });
    expect(refused(whole, "1.5")).toMatchObject({ reason: "more than 0 decimal places" });
  });

  it("accepts only a zero integer part when precision equals scale", () => {
    const fraction = validatorOf({ type: "decimal", precision: 2, scale: 2 });
    expect(accepted(fraction, "0.99")).toBe("0.99");
    expect(accepted(fraction, ".5")).toBe(".5");
    expect(refused(fraction, "1.00")).toMatchObject({
      reason: "more than 0 digits before the decimal point (numeric(2,2))",
    });
  });

  it("holds a decimal without precision to Postgres numeric's own limits", () => {
    const numeric = validatorOf({ type: "decimal" });
    expect(accepted(numeric, `1${"0".repeat(131_071)}`)).toHaveLength(131_072);
    expect(refused(numeric, `1${"0".repeat(131_072)}`)).toMatchObject({
      reason: "more than 131072 digits before the decimal point (Postgres numeric's limit)",
    });
    expect(accepted(numeric, `${"0".repeat(200_000)}1`)).toHaveLength(200_001);
    expect(accepted(numeric, `0.${"1".repeat(16_383)}`)).toHaveLength(16_385);
    expect(refused(numeric, `1.${"0".repeat(16_384)}`)).toMatchObject({
      reason: "more than 16383 digits after the decimal point (Postgres numeric's limit)",
    });
  });

  it.each(["NaN", "Infinity", "-Infinity", "nan", "inf", "1e5"])(
    "rejects %s, which numeric would take but a contract decimal is a finite number",
    (raw) => {
      expect(refused(validatorOf({ type: "decimal" }), raw)).toMatchObject({ reason: "not a decimal" });
    },
  );

  it.each([Number.NaN, Number.POSITIVE_INFINITY])("rejects the JSON number %s", (raw) => {
    expect(refused(validatorOf({ type: "decimal" }), raw)).toMatchObject({ reason: "not a finite decimal" });
  });
});
