import { stagingKeysOf } from "@sluice/core";
import { MemoryObjectStore } from "@sluice/local";
import { rejectsText } from "../../src/commands/rejects";
import type { RunStatus } from "../../src/status/object-status";
import { readRunRejects } from "../../src/status/run-rejects";

const RUN_ID = "r-0123456789abcdef0123456789abcdef";

function runWith(rejected: number | undefined): RunStatus {
  return {
    runId: RUN_ID,
    bucket: "sluice-raw",
    key: "orders/a.csv",
    dataset: "orders",
    state: "loaded",
    deadLetters: [],
    times: {},
    durations: {},
    ...(rejected === undefined ? {} : { rows: { total: 2, staged: 2 - rejected, rejected } }),
  };
}

describe("readRunRejects", () => {
  // A run re-staged under a changed contract keeps its keys: a rejects object an earlier attempt
  // wrote stays when the latest rejected nothing (it writes none).
  const store = new MemoryObjectStore();
  const rejection = { line: 3, field: "amount", reason: "not a decimal", value: "x" };

  beforeAll(async () => {
    await store.put(
      "sluice-staging",
      stagingKeysOf("orders", RUN_ID).rejectsKey,
      `${JSON.stringify(rejection)}\n`,
    );
  });

  it("does not read the transform's rejects when the latest attempt rejected no row", async () => {
    const rejects = await readRunRejects(store, "sluice-staging", runWith(0), 0);

    expect(rejects).toMatchObject({ counts: { transform: 0, loader: 0 }, rejections: [], files: [] });
  });

  it("reads them when it rejected rows, or when its counts are not known", async () => {
    for (const rejected of [1, undefined]) {
      const rejects = await readRunRejects(store, "sluice-staging", runWith(rejected), 0);

      expect(rejects.rejections).toEqual([{ source: "transform", ...rejection }]);
    }
  });

  it("says a staged run without rejections has no rejected rows, and a run not staged why it has no file", async () => {
    const clean = runWith(0);
    const notStaged = { ...runWith(undefined), state: "failed" as const, reason: "no-dataset" };

    const cleanText = rejectsText(
      clean,
      await readRunRejects(new MemoryObjectStore(), "sluice-staging", clean, 0),
    );
    const notStagedText = rejectsText(
      notStaged,
      await readRunRejects(new MemoryObjectStore(), "sluice-staging", notStaged, 0),
    );

    expect(cleanText.slice(1)).toEqual(["  no rejected rows"]);
    expect(notStagedText.slice(1)).toEqual([
      "  no rejects file: the run was not staged (failed: no-dataset)",
    ]);
  });
});
