import { join } from "node:path";
import { createEvent, MessageTooLargeError, parseEvent, SNS_MAX_MESSAGE_BYTES } from "@sluice/core";
import { LocalBus } from "../../src";
import { tempDir } from "../helpers";

/** SNS counts the body and each attribute's name, data type and value (here `type`, `String`, `x`). */
const ATTRIBUTE_BYTES = "type".length + "String".length + "x".length;

describe("the local bus's message size limit (SNS's 262,144 bytes)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let bus: LocalBus;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    bus = new LocalBus({ queuesDir: join(dir, "queues") });
    await bus.createQueue("alerts", {
      subscription: { filterPolicy: { type: ["x", "sluice.object.failed"] }, rawMessageDelivery: true },
    });
  });
  afterEach(() => cleanup());

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
