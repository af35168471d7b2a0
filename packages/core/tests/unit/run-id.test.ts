import { isRunId, runIdOf } from "../../src";

describe("runIdOf", () => {
  const ref = { bucket: "raw", key: "orders/a.csv", eTag: "e1" };

  it("is the same for the same object version", () => {
    expect(runIdOf(ref)).toBe(runIdOf({ ...ref }));
    expect(isRunId(runIdOf(ref))).toBe(true);
  });

  it("differs when bucket, key or content version differ", () => {
    const ids = new Set([
      runIdOf(ref),
      runIdOf({ ...ref, bucket: "raw2" }),
      runIdOf({ ...ref, key: "orders/b.csv" }),
      runIdOf({ ...ref, eTag: "e2" }),
      runIdOf({ ...ref, versionId: "v1" }),
    ]);
    expect(ids.size).toBe(5);
  });

  it("prefers versionId over eTag when both are known", () => {
    expect(runIdOf({ ...ref, versionId: "v1" })).toBe(runIdOf({ ...ref, eTag: "other", versionId: "v1" }));
  });

  it("cannot be confused by separators inside names", () => {
    expect(runIdOf({ bucket: "a", key: "b\u0000c" })).not.toBe(runIdOf({ bucket: "a\u0000b", key: "c" }));
  });
});
