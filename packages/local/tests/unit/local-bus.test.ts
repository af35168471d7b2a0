import { appendFile } from "node:fs/promises";
import { join } from "node:path";
import {
  ALERT_FILTER,
  createEvent,
  type EventData,
  MessageTooLargeError,
  parseEvent,
  type SluiceEvent,
  SNS_MAX_MESSAGE_BYTES,
  unwrapSqsBody,
} from "@sluice/core";
import { EventJournal, EventOutbox, LocalBus, ManualClock } from "../../src";
import { tempDir } from "../helpers";

function receivedEvent(route: "lambda" | "container", key = "orders/a.csv"): SluiceEvent {
  return createEvent("sluice.object.received", "sluice/listener", {
    runId: "r-0123456789abcdef0123456789abcdef",
    object: { bucket: "raw", key, size: 10, eTag: "abc" },
    dataset: "orders",
    contractVersion: 1,
    route,
  });
}

function stagedEvent(): SluiceEvent {
  return createEvent("sluice.object.staged", "sluice/transform", {
    runId: "r-0123456789abcdef0123456789abcdef",
    object: { bucket: "raw", key: "orders/a.csv", size: 10 },
    dataset: "orders",
    contractVersion: 1,
    route: "lambda",
    staged: { bucket: "staging", rowsKey: "r", rejectsKey: "j", manifestKey: "m" },
    counts: { rows: 1, staged: 1, rejected: 0 },
  });
}

/** SNS counts the body and each attribute's name, data type and value (here `type`, `String`, `x`). */
const ATTRIBUTE_BYTES = "type".length + "String".length + "x".length;

describe("LocalBus", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let bus: LocalBus;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    bus = new LocalBus({ queuesDir: join(dir, "queues") });
    await bus.createQueue("transform", {
      subscription: { filterPolicy: { type: ["sluice.object.received"], route: ["lambda"] } },
    });
    await bus.createQueue("launcher", {
      subscription: { filterPolicy: { type: ["sluice.object.received"], route: ["container"] } },
    });
    await bus.createQueue("loader", { subscription: { filterPolicy: { type: ["sluice.object.staged"] } } });
  });
  afterEach(() => cleanup());

  async function bodies(queue: string): Promise<string[]> {
    return (await bus.queue(queue).receive(10)).map((m) => m.body);
  }

  it("fans an event out only to the queues whose filter policy matches its attributes", async () => {
    const publisher = bus.publisher();

    await publisher.publish(receivedEvent("lambda"));
    await publisher.publish(receivedEvent("container"));
    await publisher.publish(stagedEvent());

    expect(await bodies("transform")).toHaveLength(1);
    expect(await bodies("launcher")).toHaveLength(1);
    expect(await bodies("loader")).toHaveLength(1);
  });

  it("delivers SNS notification JSON that core unwraps to the published event", async () => {
    const event = receivedEvent("lambda", "orders/jan feb+x.csv");

    await bus.publisher().publish(event);

    const [body] = await bodies("transform");
    const notification = JSON.parse(body!);
    expect(notification).toMatchObject({
      Type: "Notification",
      TopicArn: "arn:aws:sns:us-east-1:000000000000:sluice-events",
      MessageAttributes: {
        type: { Type: "String", Value: "sluice.object.received" },
        dataset: { Type: "String", Value: "orders" },
        route: { Type: "String", Value: "lambda" },
      },
    });
    expect(parseEvent(unwrapSqsBody(body!))).toEqual(event);
  });

  it("delivers the bare message with SQS message attributes to a raw-delivery subscription", async () => {
    const raw = await bus.createQueue("raw-consumer", { subscription: { rawMessageDelivery: true } });
    const event = stagedEvent();

    await bus.publisher().publish(event);

    const [message] = await raw.receive(1);
    expect(JSON.parse(message!.body)).toEqual(event);
    expect(message!.messageAttributes.type).toEqual({
      dataType: "String",
      stringValue: "sluice.object.staged",
    });
  });

  it("redrives a dead-letter queue back to the queue its messages came from", async () => {
    const poisoned = await bus.createQueue("poisoned", {
      settings: { visibilityTimeoutMs: 0, maxReceiveCount: 1 },
      subscription: { filterPolicy: { type: ["sluice.object.staged"] } },
    });
    await bus.publisher().publish(stagedEvent());
    await poisoned.receive(1);
    await poisoned.receive(1);
    expect(await bus.queue("poisoned-dlq").counts()).toEqual({ visible: 1, inFlight: 0 });

    const moved = await bus.redrive("poisoned-dlq");

    expect(moved).toBe(1);
    expect(await bus.queue("poisoned-dlq").counts()).toEqual({ visible: 0, inFlight: 0 });
    expect(await poisoned.receive(1)).toHaveLength(1);
  });

  it("keeps time for its queues and its topic by the clock it is given", async () => {
    const clock = new ManualClock();
    const clocked = new LocalBus({ queuesDir: join(dir, "clocked"), clock });
    const queue = await clocked.createQueue("timed", {
      settings: { visibilityTimeoutMs: 1000, maxReceiveCount: 5 },
      subscription: {},
    });
    await clocked.publisher().publish(stagedEvent());
    const [first] = await queue.receive(1);

    await clock.advance(999);
    const beforeTimeout = await queue.receive(1);
    await clock.advance(1);
    const [again] = await queue.receive(1);

    expect(JSON.parse(first!.body).Timestamp).toBe(new Date(clock.now() - 1000).toISOString());
    expect(first!.attributes.SentTimestamp).toBe(String(clock.now() - 1000));
    expect(beforeTimeout).toEqual([]);
    expect(again!.messageId).toBe(first!.messageId);
    expect(clocked.queue("timed-dlq").clock).toBe(clock);
  });

  it("lists the dead-letter queues and reopens every queue from disk", async () => {
    const other = new LocalBus({ queuesDir: join(dir, "queues") });

    await other.openExisting();

    expect(other.deadLetterQueues().map((q) => q.name)).toEqual([
      "launcher-dlq",
      "loader-dlq",
      "transform-dlq",
    ]);
    expect(other.queue("loader").deadLetterQueue?.name).toBe("loader-dlq");
  });

  describe("event journal", () => {
    it("records every published event, in order, through an unfiltered subscription", async () => {
      const journal = new EventJournal(join(dir, "events", "journal.ndjson"));
      bus.topic.subscribeSink("events-archive", journal.sink());
      const events = [receivedEvent("lambda"), stagedEvent()];

      for (const event of events) await bus.publisher().publish(event);

      const entries = await journal.readAll();
      expect(entries.map((e) => e.event)).toEqual(events);
      expect(entries[0]!.publishedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    });

    it("skips a line torn by a crash and keeps appending after it", async () => {
      const file = join(dir, "journal.ndjson");
      const journal = new EventJournal(file);
      const first = receivedEvent("lambda");
      await journal.append({ publishedAt: "t1", messageId: "m1", event: first });
      await appendFile(file, '{"publishedAt":"t2","messageId":"m2","ev');

      const reopened = new EventJournal(file);
      const second = stagedEvent();
      await reopened.append({ publishedAt: "t3", messageId: "m3", event: second });

      expect((await reopened.readAll()).map((e) => e.messageId)).toEqual(["m1", "m3"]);
    });

    it("reads nothing when no event was ever published", async () => {
      expect(await new EventJournal(join(dir, "none.ndjson")).readAll()).toEqual([]);
    });
  });

  describe("event outbox", () => {
    it("relays events written by another process onto the bus, once", async () => {
      const outbox = new EventOutbox(join(dir, "outbox"));
      const event = stagedEvent();
      await outbox.publisher().publish(event);
      expect(await outbox.pending()).toBe(1);

      const relayed = await outbox.relay(bus.publisher());
      const again = await outbox.relay(bus.publisher());

      expect([relayed, again]).toEqual([1, 0]);
      expect((await bodies("loader")).map((b) => parseEvent(unwrapSqsBody(b)))).toEqual([event]);
    });

    it("sets aside a file that is not a valid event instead of blocking the rest", async () => {
      const outbox = new EventOutbox(join(dir, "outbox"));
      await outbox.publisher().publish(stagedEvent());
      await appendFile(join(dir, "outbox", "000-bad.json"), "{not json");
      const rejected: string[] = [];

      const relayed = await outbox.relay(bus.publisher(), (file) => rejected.push(file));

      expect(relayed).toBe(1);
      expect(rejected).toEqual([join(dir, "outbox", "000-bad.json")]);
      expect(await outbox.pending()).toBe(0);
    });
  });

  it("feeds the alerts queue (core's ALERT_FILTER) a failure nothing retries, not one whose run was started again", async () => {
    await bus.createQueue("alerts", {
      subscription: { filterPolicy: ALERT_FILTER, rawMessageDelivery: true },
    });
    const failed = (nextAttempt?: number) =>
      createEvent("sluice.object.failed", "sluice/launcher", {
        runId: "r-0123456789abcdef0123456789abcdef",
        object: { bucket: "raw", key: "ledger/a.dat", size: 10 },
        dataset: "ledger",
        phase: "legacy-wrapper",
        reason: "task-killed",
        message: "stopped",
        retryable: true,
        ...(nextAttempt !== undefined ? { nextAttempt } : {}),
      });

    await bus.publisher().publish(failed(2));
    await bus.publisher().publish(failed());

    const alerted = (await bus.queue("alerts").receive(10)).map(
      (message) => parseEvent(unwrapSqsBody(message.body)).data as EventData<"sluice.object.failed">,
    );
    expect(alerted.map((data) => data.nextAttempt)).toEqual([undefined]);
  });

  describe("message size limit (SNS's 262,144 bytes)", () => {
    beforeEach(async () => {
      await bus.createQueue("alerts", {
        subscription: { filterPolicy: { type: ["x", "sluice.object.failed"] }, rawMessageDelivery: true },
      });
    });

    it("delivers a message of exactly 256 KiB with its attributes", async () => {
      const message = "a".repeat(SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_BYTES);

      const result = await bus.publish({ message, attributes: { type: "x" } });

      expect(result.deliveredTo).toEqual(["alerts"]);
      expect((await bus.queue("alerts").receive(1))[0]!.body).toHaveLength(message.length);
    });

    it("refuses a message one byte over, counting the attributes, and delivers it nowhere", async () => {
      const message = "a".repeat(SNS_MAX_MESSAGE_BYTES - ATTRIBUTE_BYTES + 1);

      const publishing = bus.publish({ message, attributes: { type: "x" } });

      await expect(publishing).rejects.toBeInstanceOf(MessageTooLargeError);
      await expect(publishing).rejects.toMatchObject({
        code: "message-too-large",
        context: { bytes: 262_145 },
      });
      expect(await bus.queue("alerts").receive(1)).toEqual([]);
    });

    it("counts bytes, not characters", async () => {
      const message = "é".repeat(SNS_MAX_MESSAGE_BYTES / 2);

      await expect(bus.publish({ message, attributes: { type: "x" } })).rejects.toBeInstanceOf(
        MessageTooLargeError,
      );
    });

    it("publishes a failed event whose 1 MB stderr tail the event builder cut to size", async () => {
      const event = createEvent("sluice.object.failed", "sluice/legacy-wrapper", {
        runId: "r-0123456789abcdef0123456789abcdef",
        object: { bucket: "raw", key: "fixed/legacy.txt", size: 10 },
        phase: "legacy-wrapper",
        reason: "program-failed",
        message: "the legacy program exited 1",
        retryable: false,
        stderrTail: `${"e".repeat(1024 * 1024)}\nlast line`,
      });

      await bus.publisher().publish(event);

      const [delivered] = await bus.queue("alerts").receive(1);
      expect(parseEvent(delivered!.body, "sluice.object.failed").data.stderrTail).toMatch(
        /^\[\d+ bytes truncated\]…e+\nlast line$/,
      );
    });
  });
});
