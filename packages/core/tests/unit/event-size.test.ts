import {
  assertPublishable,
  attributesOf,
  createEvent,
  MessageTooLargeError,
  parseEvent,
  SNS_MAX_MESSAGE_BYTES,
  snsMessageBytes,
  truncateText,
} from "../../src";

const MB = 1024 * 1024;
const base = {
  runId: "r-0123456789abcdef0123456789abcdef",
  object: { bucket: "raw", key: "fixed/legacy.txt", size: 10 },
};

/** The bytes SNS counts when the event is published as Sluice publishes it. */
function publishedBytes(event: ReturnType<typeof createEvent>): number {
  const attributes = Object.fromEntries(
    Object.entries(attributesOf(event)).map(([name, value]) => [name, String(value)]),
  );
  return snsMessageBytes(JSON.stringify(event), attributes);
}

describe("events stay under SNS's 256 KiB", () => {
  it("cut a 1 MB stderr tail to its end and a 1 MB message to its start, with markers", () => {
    const stderrTail = `${"noise\n".repeat(MB / 6)}Error: the real cause is on the last line`;
    const message = `legacy program exited 2: ${"x".repeat(MB)}`;

    const event = createEvent("sluice.object.failed", "sluice/legacy-wrapper", {
      ...base,
      phase: "legacy-wrapper",
      reason: "program-failed",
      message,
      retryable: false,
      exitCode: 2,
      stderrTail,
    });

    expect(publishedBytes(event)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(event.data.stderrTail).toMatch(/^\[\d+ bytes truncated\]…[a-z]*\nnoise\n/);
    expect(event.data.stderrTail!.endsWith("Error: the real cause is on the last line")).toBe(true);
    expect(event.data.message).toMatch(/^legacy program exited 2: x+…\[\d+ bytes truncated\]$/);
    expect(event.data.reason).toBe("program-failed");
    expect(parseEvent(JSON.stringify(event), "sluice.object.failed").data).toEqual(event.data);
  });

  it("cut huge rejection reasons and values, and keep at most the configured number of rejections", () => {
    const firstRejections = Array.from({ length: 50 }, (_, i) => ({
      line: i + 2,
      field: "note",
      reason: `too long: ${"r".repeat(MB)}`,
      value: "v".repeat(MB),
    }));

    const event = createEvent("sluice.object.quarantined", "sluice/transform", {
      ...base,
      dataset: "notes",
      route: "lambda",
      reason: "r".repeat(MB),
      message: "m".repeat(MB),
      firstRejections,
    });

    expect(publishedBytes(event)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(event.data.firstRejections).toHaveLength(20);
    expect(event.data.firstRejections[0]).toMatchObject({ line: 2, field: "note" });
    expect(event.data.firstRejections[0]!.reason).toMatch(/^too long: r+…\[\d+ bytes truncated\]$/);
    expect(Buffer.byteLength(event.data.firstRejections[0]!.value!)).toBeLessThanOrEqual(1024);
  });

  it("fit even text that JSON escapes to six bytes a character", () => {
    const control = "\u0001".repeat(MB);
    const firstRejections = Array.from({ length: 20 }, (_, i) => ({
      line: i + 2,
      field: control,
      reason: control,
      value: control,
    }));

    const event = createEvent("sluice.object.quarantined", "sluice/transform", {
      ...base,
      dataset: "notes",
      route: "lambda",
      reason: "bad-rows",
      message: control,
      firstRejections,
    });

    // 20 rejections of 3 × 1 KiB would escape to about 360 KiB: the limits shrink until it fits.
    expect(publishedBytes(event)).toBeLessThan(SNS_MAX_MESSAGE_BYTES);
    expect(event.data.firstRejections.length).toBeGreaterThan(0);
  });

  it("leave events with ordinary text as they are", () => {
    const data = {
      ...base,
      phase: "loader",
      reason: "database-unavailable",
      message: "connection refused",
      retryable: true,
    };

    expect(createEvent("sluice.object.failed", "sluice/loader", data).data).toEqual(data);
  });
});

describe("truncateText", () => {
  it("never cuts a character in two", () => {
    const text = "é".repeat(100);

    const start = truncateText(text, 50);
    const end = truncateText(text, 50, "end");

    expect(Buffer.byteLength(start)).toBeLessThanOrEqual(50);
    expect(Buffer.byteLength(end)).toBeLessThanOrEqual(50);
    expect(start).toMatch(/^é+…\[\d+ bytes truncated\]$/);
    expect(end).toMatch(/^\[\d+ bytes truncated\]…é+$/);
  });
});

describe("SNS message size", () => {
  it("counts the body and each attribute's name, data type and value in UTF-8 bytes", () => {
    expect(snsMessageBytes("héllo", { type: "x", n: { Type: "Number", Value: "12" } })).toBe(
      6 + (4 + 6 + 1) + (1 + 6 + 2),
    );
  });

  it("refuses one byte over 262,144 with a typed, dead-letter error", () => {
    const body = "a".repeat(SNS_MAX_MESSAGE_BYTES - "typeStringx".length);

    expect(() => assertPublishable(body, { type: "x" })).not.toThrow();
    expect(() => assertPublishable(`${body}a`, { type: "x" })).toThrow(MessageTooLargeError);
    try {
      assertPublishable(`${body}a`, { type: "x" });
    } catch (error) {
      expect(error).toMatchObject({
        code: "message-too-large",
        disposition: "dead-letter",
        context: { bytes: 262_145 },
      });
    }
  });
});
