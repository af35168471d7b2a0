import { Readable } from "node:stream";
import { findJsonRecordsPath } from "../../src/parse/json-records-path";

/** The text in chunks of `size` bytes, as a stream delivers it. */
const chunked = (text: string, size = 7) => {
  const bytes = Buffer.from(text);
  return Readable.from(
    Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) =>
      bytes.subarray(i * size, (i + 1) * size),
    ),
  );
};

describe("findJsonRecordsPath", () => {
  it("finds GeoJSON's features after members holding brackets and quotes in strings, arrays of scalars and empty arrays", async () => {
    // prepare
    const geojson = JSON.stringify({
      type: "FeatureCollection",
      metadata: { title: 'quakes ] } [ { "x" \\', bbox: [1, [2, 3], "]"], count: 2 },
      empty: [],
      features: [{ type: "Feature", id: "a" }],
    });

    // act
    const path = await findJsonRecordsPath(chunked(geojson), 3);

    // assert
    expect(path).toBe("features");
  });

  it("finds an array of objects in nested objects down to the depth asked for", async () => {
    // prepare
    const document = '{"meta": {"n": 1}, "data": {"page": 1, "items": [ {"id": 1} ]}}';

    // act
    const deep = await findJsonRecordsPath(chunked(document), 2);
    const shallow = await findJsonRecordsPath(chunked(document), 1);

    // assert
    expect(deep).toBe("data.items");
    expect(shallow).toBeUndefined();
  });

  it("finds nothing in an array, a scalar, an object without records, or text that ends first", async () => {
    // act
    const found = await Promise.all(
      ['[{"a": 1}]', "42", '{"a": [1, 2], "b": {"c": "d"}}', '{"note": "a long text cut off', ""].map(
        (text) => findJsonRecordsPath(chunked(text), 3),
      ),
    );

    // assert
    expect(found).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });
});
