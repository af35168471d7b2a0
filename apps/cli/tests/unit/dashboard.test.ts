import type { RunStatus } from "../../src";
import { datasetViews, phaseDurations, throughputOf } from "../../src/ui/dashboard";

/** A run that was received at `receivedAt` seconds and finished `state` at `endAt` seconds. */
function run(
  runId: string,
  state: "loaded" | "quarantined",
  receivedAt: number,
  endAt: number,
  rows = 0,
): RunStatus {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  return {
    runId,
    bucket: "sluice-raw",
    key: `orders/${runId}.csv`,
    dataset: "orders",
    state,
    deadLetters: [],
    times: { received: at(receivedAt), [state]: at(endAt) },
    durations: state === "loaded" ? { stageMs: 100 * rows, loadMs: 1000 } : { stageMs: 50 },
    rows: { total: rows + 1, staged: rows, rejected: 1 },
    ...(state === "loaded"
      ? {
          load: {
            table: "orders",
            inserted: rows,
            updated: 0,
            unchanged: 0,
            alreadyLoaded: false,
            deleted: 0,
            repeats: 0,
            rejected: 0,
            reloaded: false,
          },
        }
      : {}),
  };
}

describe("the dashboard's numbers", () => {
  it("counts rows loaded and objects finished per second in whole-second buckets", () => {
    const runs = [run("a", "loaded", 0, 1, 30), run("b", "loaded", 0, 1, 10), run("c", "quarantined", 0, 3)];

    const throughput = throughputOf(runs);

    expect(throughput.bucketMs).toBe(1000);
    expect(throughput.points.map((p) => [p.rowsPerSecond, p.objectsPerSecond])).toEqual([
      [0, 0],
      [40, 2],
      [0, 0],
      [0, 1],
    ]);
  });

  it("gives each dataset its objects by state, rows loaded and rejected, and its contract", () => {
    const runs = [run("a", "loaded", 0, 1, 30), run("c", "quarantined", 0, 3)];

    const [orders] = datasetViews(runs, []);

    expect(orders).toEqual({
      name: "orders",
      objects: { loaded: 1, quarantined: 1 },
      rowsLoaded: 30,
      rowsRejected: 2,
    });
  });

  it("takes the median and the longest of each phase per dataset", () => {
    const runs = [run("a", "loaded", 0, 1, 1), run("b", "loaded", 0, 1, 2), run("c", "loaded", 0, 1, 9)];

    expect(phaseDurations(runs)).toEqual([
      { dataset: "orders", phase: "stage", runs: 3, medianMs: 200, maxMs: 900 },
      { dataset: "orders", phase: "load", runs: 3, medianMs: 1000, maxMs: 1000 },
    ]);
  });
});
