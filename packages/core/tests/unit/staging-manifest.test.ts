import { formatStagingManifest, parseStagingManifest, type StagingManifest } from "../../src";

const manifest: StagingManifest = {
  runId: "r-0123456789abcdef0123456789abcdef",
  dataset: "orders",
  contractVersion: 1,
  object: { bucket: "raw", key: "orders/a.csv", size: 10, eTag: "abc" },
  route: "lambda",
  producer: "transform",
  columns: ["order_id", "status"],
  format: "csv+gzip",
  counts: { rows: 3, staged: 2, rejected: 1 },
  rowsSha256: "a".repeat(64),
  rowsBytes: 42,
  createdAt: "2026-11-27T10:00:00.000Z",
};

describe("staging manifests", () => {
  it("read back what a producer writes", () => {
    const text = formatStagingManifest(manifest);

    const parsed = parseStagingManifest(text);

    expect(text.endsWith("}\n")).toBe(true);
    expect(parsed).toEqual({ ok: true, manifest });
  });

  it("name the first wrong field of a manifest that lacks one", () => {
    const { counts: _counts, ...rest } = manifest;
    const withoutStaged = { ...rest, counts: { rows: 3, rejected: 1 } };

    const parsed = parseStagingManifest(JSON.stringify(withoutStaged));

    expect(parsed).toMatchObject({ ok: false, field: "counts.staged" });
    expect(parsed.ok ? "" : parsed.problem).toMatch(/^field counts\.staged: /);
  });

  it("say so when the text is not JSON", () => {
    expect(parseStagingManifest("{ not json")).toEqual({ ok: false, problem: "is not valid JSON" });
  });

  it("keep fields a newer producer adds out of the parsed manifest instead of refusing it", () => {
    const parsed = parseStagingManifest(JSON.stringify({ ...manifest, lineage: "x" }));

    expect(parsed).toEqual({ ok: true, manifest });
  });

  it("refuse to write a manifest the loader would refuse, naming the field", () => {
    expect(() => formatStagingManifest({ ...manifest, rowsSha256: "not-a-digest" })).toThrow(
      /staging manifest field rowsSha256: /,
    );
  });
});
