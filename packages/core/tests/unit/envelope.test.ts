import {
  attributesOf,
  createEvent,
  dataSchemaOf,
  type EventData,
  MalformedEventError,
  parseEvent,
} from "../../src";

const received: EventData<"sluice.object.received"> = {
  runId: "r-0123456789abcdef0123456789abcdef",
  object: { bucket: "raw", key: "orders/a b.csv", size: 10, eTag: "abc" },
  dataset: "orders",
  contractVersion: 1,
  route: "lambda",
};

describe("pipeline events", () => {
  it("are CloudEvents 1.0 JSON with a versioned dataschema", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received, {
      time: new Date("2026-11-27T10:00:00Z"),
    });
    expect(event).toMatchObject({
      specversion: "1.0",
      source: "sluice/listener",
      type: "sluice.object.received",
      time: "2026-11-27T10:00:00.000Z",
      subject: "orders/a b.csv",
      datacontenttype: "application/json",
      dataschema: "urn:sluice:schema:object.received:v1",
      data: received,
    });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("survive a JSON round trip through parseEvent", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received);
    expect(parseEvent(JSON.stringify(event), "sluice.object.received")).toEqual(event);
  });

  it("name the wrong field when data is invalid", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received);
    const broken = { ...event, data: { ...received, object: { ...received.object, key: 7 } } };
    expect(() => parseEvent(broken)).toThrow(MalformedEventError);
    expect(() => parseEvent(broken)).toThrow(/field data\.object\.key/);
  });

  it("name the wrong envelope field", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received);
    expect(() => parseEvent({ ...event, specversion: "0.3" })).toThrow(/field specversion/);
    expect(() => parseEvent({ ...event, type: "sluice.object.exploded" })).toThrow(/field type/);
  });

  it("refuse an event of another type than expected", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received);
    expect(() => parseEvent(event, "sluice.object.staged")).toThrow(/not one of sluice\.object\.staged/);
  });

  it("refuse a data schema version this code does not understand", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", received);
    expect(() => parseEvent({ ...event, dataschema: dataSchemaOf("sluice.object.received", 2) })).toThrow(
      /dataschema/,
    );
  });

  it("refuse to be created with invalid data", () => {
    expect(() =>
      createEvent("sluice.object.received", "x", { ...received, route: "ship" as "lambda" }),
    ).toThrow(/data\.route/);
  });

  it("of object.loaded carry the load's mode and counts when given, and parse without them", () => {
    const base = {
      runId: received.runId,
      object: received.object,
      dataset: "orders",
      table: "public.orders",
      inserted: 3,
      updated: 0,
      unchanged: 1,
      alreadyLoaded: false,
    };
    const full = createEvent("sluice.object.loaded", "sluice/loader", {
      ...base,
      mode: "append",
      deleted: 2,
      repeats: 1,
      rejected: 1,
      loadRejectsKey: "staged/orders/r-1/load-rejects.ndjson",
      reloaded: true,
      previousContractVersion: 1,
      skipped: { reason: "older-snapshot", message: "a newer snapshot is loaded" },
    });

    expect(parseEvent(JSON.stringify(full), "sluice.object.loaded")).toEqual(full);
    expect(parseEvent(createEvent("sluice.object.loaded", "sluice/loader", base)).data).toEqual(base);
    expect(() =>
      createEvent("sluice.object.loaded", "sluice/loader", { ...base, mode: "upsert" as "merge" }),
    ).toThrow(/data\.mode/);
  });

  it("carry type, dataset and route as SNS message attributes", () => {
    const event = createEvent("sluice.object.received", "sluice/listener", {
      ...received,
      route: "container",
    });
    expect(attributesOf(event)).toEqual({
      type: "sluice.object.received",
      dataset: "orders",
      route: "container",
    });
    const failed = createEvent("sluice.object.failed", "sluice/listener", {
      runId: received.runId,
      object: received.object,
      phase: "listener",
      reason: "no-dataset",
      message: "no contract claims the key",
      retryable: false,
    });
    expect(attributesOf(failed)).toEqual({ type: "sluice.object.failed", dataset: "unknown" });
  });
});
