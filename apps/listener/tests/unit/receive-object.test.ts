import {
  createLogger,
  createMemoryLogger,
  DatasetRegistry,
  type EventPublisher,
  parseDatasetContract,
  parseS3Notification,
  RetryableError,
  runIdOf,
  type SluiceEvent,
} from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { receiveObject } from "../../src";
import { s3Notification } from "./aws-events";

class RecordingPublisher implements EventPublisher {
  readonly events: SluiceEvent[] = [];
  async publish(event: SluiceEvent): Promise<void> {
    this.events.push(event);
  }
}

const registry = loadRegistry();
const now = () => new Date("2026-11-02T08:00:00.000Z");
const logger = createLogger("listener", { level: "SILENT" });

function notificationOf(object: { key: string; size: number; versionId?: string }, eventName?: string) {
  return parseS3Notification(s3Notification(object, eventName ? { eventName } : {}))[0]!;
}

describe("receiveObject", () => {
  it("publishes object.received with the claiming dataset, its version, the route and the run id", async () => {
    const publisher = new RecordingPublisher();
    const notification = notificationOf({ key: "orders/2026/11/orders-1.csv", size: 2048, versionId: "v1" });

    const outcome = await receiveObject(notification, { registry, publisher, logger, now });

    expect(outcome.kind).toBe("received");
    expect(publisher.events).toEqual([
      {
        specversion: "1.0",
        id: expect.any(String),
        source: "sluice/listener",
        type: "sluice.object.received",
        time: "2026-11-02T08:00:00.000Z",
        subject: "orders/2026/11/orders-1.csv",
        datacontenttype: "application/json",
        dataschema: "urn:sluice:schema:object.received:v1",
        data: {
          runId: runIdOf(notification.object),
          object: notification.object,
          dataset: "orders",
          contractVersion: registry.get("orders").version,
          route: "lambda",
        },
      },
    ]);
  });

  it("routes an object over the contract's size threshold to the container", async () => {
    const publisher = new RecordingPublisher();
    const big = notificationOf({ key: "orders/2026/11/full-history.csv", size: 600 * 1024 * 1024 });

    await receiveObject(big, { registry, publisher, logger });

    expect(publisher.events[0]?.data).toMatchObject({ dataset: "orders", route: "container" });
  });

  it("routes an auto contract's object above the environment's lambda route cap to the container, and logs why", async () => {
    const publisher = new RecordingPublisher();
    const memory = createMemoryLogger("listener");
    const cap = 256 * 1024 * 1024;
    const deps = { registry, publisher, logger: memory, lambdaRouteMaxBytes: cap };

    await receiveObject(notificationOf({ key: "orders/2026/11/big.csv", size: cap + 1 }), deps);
    await receiveObject(notificationOf({ key: "orders/2026/11/small.csv", size: cap }), deps);

    expect(publisher.events.map((event) => event.data)).toEqual([
      expect.objectContaining({ dataset: "orders", route: "container" }),
      expect.objectContaining({ dataset: "orders", route: "lambda" }),
    ]);
    expect(memory.lines[0]).toMatchObject({ routedBy: "lambda-route-cap", lambdaRouteMaxBytes: cap });
    expect(memory.lines[1]).not.toHaveProperty("routedBy");
  });

  it("keeps a contract that names the lambda route on it above the cap", async () => {
    const publisher = new RecordingPublisher();
    const key = "crm/customers/2026/11/all.ndjson";

    await receiveObject(notificationOf({ key, size: 2000 }), {
      registry,
      publisher,
      logger,
      lambdaRouteMaxBytes: 1000,
    });

    expect(publisher.events[0]?.data).toMatchObject({ dataset: "customers", route: "lambda" });
  });

  it("publishes object.failed with reason no-dataset for a key no contract claims", async () => {
    const publisher = new RecordingPublisher();
    const stray = notificationOf({ key: "misc/holiday-photo.jpg", size: 1024 });

    const outcome = await receiveObject(stray, { registry, publisher, logger });

    expect(outcome.kind).toBe("failed");
    expect(publisher.events).toHaveLength(1);
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.failed",
      source: "sluice/listener",
      subject: "misc/holiday-photo.jpg",
      data: {
        runId: runIdOf(stray.object),
        phase: "listener",
        reason: "no-dataset",
        retryable: false,
        message: expect.stringContaining("s3://sluice-dev-raw/misc/holiday-photo.jpg"),
      },
    });
    expect(publisher.events[0]?.data).not.toHaveProperty("dataset");
  });

  it("ignores a folder marker without publishing anything, and says so at INFO", async () => {
    const publisher = new RecordingPublisher();
    const memory = createMemoryLogger("listener");

    const outcome = await receiveObject(notificationOf({ key: "orders/2026/12/", size: 0 }), {
      registry,
      publisher,
      logger: memory,
    });

    expect(outcome).toEqual({ kind: "ignored", reason: "folder-marker", key: "orders/2026/12/" });
    expect(publisher.events).toEqual([]);
    expect(memory.lines).toEqual([
      expect.objectContaining({
        level: "INFO",
        key: "orders/2026/12/",
        message: expect.stringContaining("folder marker"),
      }),
    ]);
  });

  it("receives a zero-byte file as an empty run, so 'no rows today' is loaded and visible", async () => {
    const publisher = new RecordingPublisher();

    const outcome = await receiveObject(notificationOf({ key: "orders/2026/11/empty.csv", size: 0 }), {
      registry,
      publisher,
      logger,
    });

    expect(outcome.kind).toBe("received");
    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.received",
      data: { dataset: "orders", route: "lambda", object: { size: 0 } },
    });
  });

  it("ignores notifications that are not ObjectCreated", async () => {
    const publisher = new RecordingPublisher();

    const outcome = await receiveObject(
      notificationOf({ key: "orders/2026/11/orders-1.csv", size: 0 }, "ObjectRemoved:Delete"),
      { registry, publisher, logger },
    );

    expect(outcome.kind).toBe("ignored");
    expect(publisher.events).toEqual([]);
  });

  it("publishes object.failed with reason invalid-contract when two contracts claim a key equally", async () => {
    const contract = (name: string) =>
      parseDatasetContract({
        name,
        version: 1,
        match: { prefix: "shared/" },
        format: { type: "ndjson" },
        fields: [{ name: "id", type: "integer", required: true }],
        primaryKey: ["id"],
        table: name,
      });
    const ambiguous = new DatasetRegistry([contract("first"), contract("second")]);
    const publisher = new RecordingPublisher();

    await receiveObject(notificationOf({ key: "shared/a.ndjson", size: 10 }), {
      registry: ambiguous,
      publisher,
      logger,
    });

    expect(publisher.events[0]).toMatchObject({
      type: "sluice.object.failed",
      data: { reason: "invalid-contract", message: expect.stringContaining("first and second") },
    });
  });

  it("gives a redelivered notification the same run id", async () => {
    const publisher = new RecordingPublisher();
    const notification = notificationOf({ key: "orders/2026/11/orders-1.csv", size: 10, versionId: "v9" });

    await receiveObject(notification, { registry, publisher, logger });
    await receiveObject(notification, { registry, publisher, logger });

    expect(publisher.events[0]?.data.runId).toBe(publisher.events[1]?.data.runId);
    expect(publisher.events[0]?.id).not.toBe(publisher.events[1]?.id);
  });

  it("lets a retryable publish failure propagate so the message is retried", async () => {
    const publisher: EventPublisher = {
      publish: async () => {
        throw new RetryableError("aws-retryable", "SNS throttled");
      },
    };

    const outcome = receiveObject(notificationOf({ key: "orders/a.csv", size: 1 }), {
      registry,
      publisher,
      logger,
    });

    await expect(outcome).rejects.toBeInstanceOf(RetryableError);
  });
});
