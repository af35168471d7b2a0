import { gzipSync } from "node:zlib";
import { type DatasetContractInput, parseDatasetContract } from "@sluice/core";
import { lines, quarantineOf, stage } from "../../src/testing/fixtures";

function quakes(format: DatasetContractInput["format"], changes: Partial<DatasetContractInput> = {}) {
  return parseDatasetContract({
    name: "quakes",
    version: 1,
    match: { prefix: "quakes/" },
    format,
    fields: [
      { name: "id", type: "string", required: true },
      { name: "mag", type: "decimal", source: "properties.mag" },
      { name: "place", type: "string", source: "properties.place" },
      { name: "lon", type: "decimal", source: "geometry.coordinates.0" },
      { name: "geometry", type: "json" },
    ],
    table: "quakes",
    quarantine: { maxBadRowRatio: 1 },
    ...changes,
  });
}

const FEATURE_COLLECTION = lines(
  "\n",
  "{",
  '  "type": "FeatureCollection",',
  '  "metadata": {"title": "a [tricky] \\"title\\" with } and ]", "count": [1, [2, {"x": 3}]]},',
  '  "features": [',
  '    {"id": "a", "properties": {"mag": 2.5, "place": "Castaic, CA"}, "geometry": {"type": "Point", "coordinates": [-118.66, 34.49]}},',
  "    {",
  '      "id": "b",',
  '      "properties": {"mag": null, "place": "far \\\\ away"},',
  '      "geometry": null',
  "    },",
  '    {"id": "c", "properties": {"mag": "big"}},',
  "    [1, 2],",
  '    {"id": "d", "properties": {"mag": tru}},',
  '    {"id": "e", "properties.mag": 1.5}',
  "  ],",
  '  "bbox": [-180, -90, 180, 90]',
  "}",
);

describe("stageStream with a JSON document", () => {
  it("streams the records array at the records path, fields by dot path, each at the line it starts on", async () => {
    // act
    const result = await stage(quakes({ type: "json", records: "features" }), FEATURE_COLLECTION, {
      key: "quakes/week.json",
    });

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe(
      lines(
        "\n",
        '5,a,2.5,"Castaic, CA",-118.66,"{""type"":""Point"",""coordinates"":[-118.66,34.49]}"',
        '6,b,,"far \\ away",,',
        "14,e,1.5,,,",
      ),
    );
    expect(result.rejects()!.map((r) => [r.line, r.field, r.reason])).toEqual([
      [11, "mag", "not a decimal"],
      [12, "(row)", "not a JSON object"],
      [13, "(row)", expect.stringMatching(/^invalid JSON: /)],
    ]);
  });

  it("reads the same records whatever size the chunks arrive in, and gzip alike", async () => {
    // prepare
    const contract = quakes({ type: "json", records: "features" });
    const expected = (await stage(contract, FEATURE_COLLECTION, { key: "quakes/a.json" })).rows();

    // act
    const results = await Promise.all([
      ...[1, 2, 3, 7, 64].map((chunkSize) =>
        stage(contract, FEATURE_COLLECTION, { key: "quakes/a.json", chunkSize }),
      ),
      stage(contract, gzipSync(FEATURE_COLLECTION), { key: "quakes/a.json.gz" }),
    ]);

    // assert
    for (const result of results) expect(result.rows()).toBe(expected);
  });

  it("reads a top-level array, pretty-printed with CRLF, and an empty one", async () => {
    // prepare
    const contract = quakes({ type: "json" });
    const array = lines("\r\n", "\uFEFF[", '  {"id": "x"},', '  {"id": "y\\"]"}', "]");

    // act
    const result = await stage(contract, array, { key: "quakes/list.json" });
    const empty = await stage(contract, " [ ] \n", { key: "quakes/empty.json" });

    // assert
    expect(result.rows()).toBe(lines("\n", "2,x,,,,", '3,"y""]",,,,'));
    expect(empty.outcome.status).toBe("staged");
    expect(empty.rows()).toBe("");
  });

  it("rejects an element nested past maxJsonDepth as too-deep and reads on", async () => {
    // prepare
    const deep = `${"[".repeat(50_000)}${"]".repeat(50_000)}`;
    const array = `[{"id": "a", "geometry": ${deep}},\n{"id": "b"}]`;

    // act
    const result = await stage(quakes({ type: "json" }), array, { key: "quakes/deep.json" });

    // assert
    expect(result.rows()).toBe("2,b,,,,\n");
    expect(result.rejects()!.map((r) => [r.line, r.reason])).toEqual([
      [1, "too-deep: JSON nested deeper than 64 levels"],
    ]);
  });

  it.each([
    ["a top-level object without a records path", '{"features": []}', {}, "wrong-format", "not a JSON array"],
    ["CSV content", "id,mag\na,1\n", {}, "wrong-format", 'starts with "i"'],
    ["empty content", "  \n", {}, "wrong-format", "content is empty"],
    [
      "a records path the document lacks",
      '{"type": "x", "data": []}',
      { records: "features" },
      "wrong-format",
      'no member "features"',
    ],
    [
      "a records path to something else than an array",
      '{"features": {"a": 1}}',
      { records: "features" },
      "wrong-format",
      'value at "features" is not a JSON array',
    ],
    ["a document that breaks off", '[{"id": "a"},\n{"id": "b", "x": [1, 2', {}, "malformed-json", "line 2"],
    ["a missing comma", '[{"id": "a"} {"id": "b"}]', {}, "malformed-json", 'expected "," or "]"'],
    ["a trailing comma", '[{"id": "a"},]', {}, "malformed-json", 'expected a value, found "]"'],
    ["more after the document", '[{"id": "a"}] [', {}, "malformed-json", "more after the end"],
    [
      "an unclosed object around the records",
      '{"features": [{"id": "a"}], "bbox": [1, 2]',
      { records: "features" },
      "malformed-json",
      'expected "," or "}"',
    ],
  ])("quarantines %s", async (_what, content, format, reason, message) => {
    // act
    const result = await stage(quakes({ type: "json", ...format }), content, { key: "quakes/bad.json" });

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe(reason);
    expect(quarantine.message).toContain(message);
    expect(result.manifest()).toBeUndefined();
  });

  it("quarantines an element longer than maxRecordChars, naming its line", async () => {
    // prepare
    const array = `[\n{"id": "a"},\n{"id": "${"x".repeat(5000)}"}\n]`;

    // act
    const result = await stage(quakes({ type: "json" }), array, {
      key: "quakes/big.json",
      chunkSize: 512,
      config: { maxRecordChars: 1000 },
    });

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe("record-too-large");
    expect(quarantine.message).toContain("line 3");
  });
});

describe("stageStream with NDJSON records holding nested fields", () => {
  it("reads fields by dot path", async () => {
    // prepare
    const ndjson = lines(
      "\n",
      '{"id": "a", "properties": {"mag": 2.5, "place": "here"}, "geometry": {"coordinates": [1.5, 2]}}',
      '{"id": "b", "properties": 7}',
    );

    // act
    const result = await stage(quakes({ type: "ndjson" }), ndjson, { key: "quakes/a.ndjson" });

    // assert
    expect(result.rows()).toBe(lines("\n", '1,a,2.5,here,1.5,"{""coordinates"":[1.5,2]}"', "2,b,,,,"));
  });
});
