import {
  compileRowValidator,
  type DatasetContractInput,
  DEFAULT_MAX_JSON_DEPTH,
  isRejection,
  parseDatasetContract,
} from "../../src";

/** A validator of one `json` field `v` reading `format` (csv: text; ndjson: JSON values). */
function jsonField(format: DatasetContractInput["format"], maxJsonDepth?: number) {
  const validate = compileRowValidator(
    parseDatasetContract({
      name: "nested",
      version: 1,
      match: { prefix: "nested/" },
      format,
      fields: [{ name: "v", type: "json" }],
      table: "nested",
    }),
    { maxJsonDepth },
  );
  return (raw: unknown): string | null => {
    const result = validate([raw], 2);
    return isRejection(result) ? `refused: ${result.reason}` : result[0]!;
  };
}

const fromJson = jsonField({ type: "ndjson" });
const fromCsv = jsonField({ type: "csv" });

// earthquakes.json: each feature's geometry stays nested.
const geometry = { type: "Point", coordinates: [-118.6683, 34.4895, 7.86] };

describe("json fields from JSON sources", () => {
  it.each([
    ["an object", geometry, '{"type":"Point","coordinates":[-118.6683,34.4895,7.86]}'],
    ["an array", [1, "two", null, { three: [3] }], '[1,"two",null,{"three":[3]}]'],
    ["a number", 39.81, "39.81"],
    ["a boolean", false, "false"],
    ["a string, which stays a JSON string", 'say "hi"\n', '"say \\"hi\\"\\n"'],
    ["an empty object", {}, "{}"],
    ["a bigint, as a JSON number", 12345678901234567890n, "12345678901234567890"],
    ["a string with an astral character", "😀", '"😀"'],
  ])("keeps %s as its JSON text", (_name, raw, text) => {
    expect(fromJson(raw)).toBe(text);
  });

  it("reads JSON null as NULL", () => {
    expect(fromJson(null)).toBeNull();
  });

  it.each([
    [
      "a NUL in a string",
      { name: "a\u0000b" },
      "refused: contains \\u0000 (a NUL character), which Postgres jsonb refuses",
    ],
    ["a NUL in a key", { "\u0000": 1 }, /^refused: contains \\u0000/],
    ["a lone surrogate", ["emoji cut \uD83D"], /^refused: contains a lone UTF-16 surrogate/],
    ["NaN", Number.NaN, "refused: not a finite number, which JSON cannot hold"],
    ["a nested bigint", { n: 1n }, /^refused: cannot be written as JSON/],
  ])("refuses %s, which jsonb would refuse", (_name, raw, reason) => {
    expect(fromJson(raw)).toMatch(reason);
  });
});

describe("json fields from CSV text", () => {
  it.each([
    ["an object", '{"type":"Point","coordinates":[-118.6683,34.4895]}'],
    ["spaces and newlines", '{ "a" : [1,\n 2] }'],
    ["a number past double precision, kept as written", "[12345678901234567890.123]"],
    ["an escaped backslash before u0000, which is text", '"\\\\u0000"'],
    ["a surrogate pair written as escapes", '"\\ud83d\\ude00"'],
    ["a scalar", '"text"'],
    ["null, a JSON null (not SQL NULL)", "null"],
  ])("keeps %s as written", (_name, text) => {
    expect(fromCsv(text)).toBe(text);
  });

  it.each([
    ["text that is not JSON", "{'a': 1}", "refused: not valid JSON"],
    ["a bare word", "NA", "refused: not valid JSON"],
    ["a \\u0000 escape", '{"a":"\\u0000"}', /^refused: contains \\u0000/],
    ["a lone high surrogate escape", '"\\uD800"', /^refused: contains a lone UTF-16 surrogate/],
    ["a lone low surrogate escape", '"\\udc00x"', /^refused: contains a lone UTF-16 surrogate/],
    [
      "a high surrogate escape before a character",
      '"\\ud83dx"',
      /^refused: contains a lone UTF-16 surrogate/,
    ],
    ["a lone surrogate character", '"\uD800"', /^refused: contains a lone UTF-16 surrogate/],
  ])("refuses %s", (_name, text, reason) => {
    expect(fromCsv(text)).toMatch(reason);
  });

  it("reads the empty value as NULL, as in any field", () => {
    expect(fromCsv("")).toBeNull();
  });
});

describe("json nesting", () => {
  const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;

  it(`accepts ${DEFAULT_MAX_JSON_DEPTH} levels and refuses one more, from text and from values`, () => {
    expect(fromCsv(nested(DEFAULT_MAX_JSON_DEPTH))).toBe(nested(DEFAULT_MAX_JSON_DEPTH));
    expect(fromCsv(nested(DEFAULT_MAX_JSON_DEPTH + 1))).toBe(
      `refused: nested deeper than ${DEFAULT_MAX_JSON_DEPTH} levels`,
    );
    expect(fromJson(JSON.parse(nested(DEFAULT_MAX_JSON_DEPTH + 1)))).toMatch(/^refused: nested deeper/);
  });

  it("counts only brackets outside strings", () => {
    const text = `{"a":"${"[".repeat(200)}"}`;
    expect(fromCsv(text)).toBe(text);
  });

  it("refuses a million levels without exhausting the stack", () => {
    expect(fromCsv(nested(1_000_000))).toMatch(/^refused: nested deeper/);
  });

  it("takes its depth limit from the validator's options", () => {
    expect(jsonField({ type: "csv" }, 2)("[[[]]]")).toBe("refused: nested deeper than 2 levels");
  });
});
