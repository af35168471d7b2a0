import {
  ALERT_FILTER,
  attributesOf,
  CONSUMER_FILTERS,
  createEvent,
  type EventData,
  type EventFilter,
  type Route,
  type SluiceEvent,
  type TopicConsumer,
} from "../../src";

/**
 * SNS's rule for filters of exact strings and `exists`: every key of the filter must be a message
 * attribute whose value the filter lists (an attribute the message lacks matches nothing), or,
 * under `{ exists: false }`, an attribute the message lacks.
 */
function matches(filter: EventFilter, event: SluiceEvent): boolean {
  const attributes = attributesOf(event) as unknown as Record<string, string | undefined>;
  return Object.entries(filter).every(([name, allowed]) => {
    const value = attributes[name];
    const conditions = allowed as (string | { exists: boolean })[];
    if (conditions.some((condition) => typeof condition === "object" && !condition.exists))
      return value === undefined;
    return value !== undefined && conditions.includes(value);
  });
}

function consumersOf(event: SluiceEvent): TopicConsumer[] {
  return (Object.keys(CONSUMER_FILTERS) as TopicConsumer[]).filter((name) =>
    matches(CONSUMER_FILTERS[name], event),
  );
}

function received(route: Route): EventData<"sluice.object.received"> {
  return {
    runId: "r-0123456789abcdef0123456789abcdef",
    object: { bucket: "raw", key: "ledger/big.dat", size: 10, eTag: "abc" },
    dataset: "ledger",
    contractVersion: 1,
    route,
  };
}

function staged(route: Route): SluiceEvent<"sluice.object.staged"> {
  return createEvent("sluice.object.staged", "sluice/legacy-wrapper", {
    ...received(route),
    staged: {
      bucket: "staging",
      rowsKey: "staged/ledger/r/rows.csv.gz",
      rejectsKey: "staged/ledger/r/rejects.ndjson",
      manifestKey: "staged/ledger/r/manifest.json",
    },
    counts: { rows: 1, staged: 1, rejected: 0 },
  });
}

describe("the consumers' subscription filters", () => {
  it("give the loader a lambda-route staged run", () => {
    const event = staged("lambda");

    expect(consumersOf(event)).toEqual(["loader"]);
  });

  it("give no consumer a container-route staged run: the task that staged it loads it", () => {
    const event = staged("container");

    expect(matches(CONSUMER_FILTERS.loader, event)).toBe(false);
    expect(consumersOf(event)).toEqual([]);
  });

  it("route a received object to the transform or the launcher by its route", () => {
    const lambda = createEvent("sluice.object.received", "sluice/listener", received("lambda"));
    const container = createEvent("sluice.object.received", "sluice/listener", received("container"));

    expect(consumersOf(lambda)).toEqual(["transform"]);
    expect(consumersOf(container)).toEqual(["launcher"]);
  });
});

describe("the alerts subscription's filter", () => {
  function failed(nextAttempt?: number): SluiceEvent<"sluice.object.failed"> {
    const { runId, object, dataset } = received("container");
    return createEvent("sluice.object.failed", "sluice/launcher", {
      runId,
      object,
      dataset,
      phase: "legacy-wrapper",
      reason: "task-killed",
      message: "the task was stopped",
      retryable: true,
      ...(nextAttempt !== undefined ? { nextAttempt } : {}),
    });
  }

  it("alerts on a failure nothing retries, and not on one whose run was started again", () => {
    expect(matches(ALERT_FILTER, failed())).toBe(true);
    expect(attributesOf(failed(2))).toMatchObject({ retrying: "true" });
    expect(matches(ALERT_FILTER, failed(2))).toBe(false);
    expect(matches(ALERT_FILTER, staged("lambda"))).toBe(false);
  });
});
