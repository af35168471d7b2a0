import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  decodeS3Key,
  encodeS3Key,
  MalformedEventError,
  parseS3EventMessage,
  parseS3Notification,
  unwrapSqsBody,
} from "../../src";

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(__dirname, "fixtures", name), "utf8"));
}

/** The documented S3 put event with its object key replaced by `encodedKey`. */
function s3Event(...encodedKeys: string[]): Record<string, unknown> {
  const base = fixture("s3-put-event.json") as { Records: Array<{ s3: { object: { key: string } } }> };
  const template = base.Records[0]!;
  return {
    Records: encodedKeys.map((key) => {
      const record = structuredClone(template);
      record.s3.object.key = key;
      return record;
    }),
  };
}

function snsWrapped(message: unknown): Record<string, unknown> {
  return { ...fixture("sns-notification.json"), Message: JSON.stringify(message) };
}

function sqsEvent(...bodies: unknown[]): Record<string, unknown> {
  const base = fixture("sqs-event.json") as { Records: Array<Record<string, unknown>> };
  return { Records: bodies.map((body) => ({ ...base.Records[0], body: JSON.stringify(body) })) };
}

function lambdaSnsEvent(message: unknown): Record<string, unknown> {
  const base = fixture("sns-lambda-event.json") as { Records: Array<{ Sns: Record<string, unknown> }> };
  const record = structuredClone(base.Records[0]!);
  record.Sns.Message = JSON.stringify(message);
  return { Records: [record] };
}

describe("S3 object keys", () => {
  it.each([
    ["plain", "orders/2026/file.csv", "orders/2026/file.csv"],
    ["space as +", "orders/my+file.csv", "orders/my file.csv"],
    ["plus as %2B", "orders/a%2Bb.csv", "orders/a+b.csv"],
    ["percent as %25", "orders/100%25.csv", "orders/100%.csv"],
    ["UTF-8 escapes", "orders/caf%C3%A9+%E2%82%AC.csv", "orders/café €.csv"],
    ["literal %20", "orders/a%20b.csv", "orders/a b.csv"],
  ])("decodes %s exactly once", (_name, encoded, decoded) => {
    expect(decodeS3Key(encoded)).toBe(decoded);
  });

  it("round-trips encodeS3Key through decodeS3Key for awkward names", () => {
    for (const key of ["a b+c%d/é ü/ñ.csv", "x(1)!*'.csv", "plain/key.csv"]) {
      expect(decodeS3Key(encodeS3Key(key))).toBe(key);
    }
  });

  it("encodes spaces as + and pluses as %2B, like S3", () => {
    expect(encodeS3Key("dir/a b+c.csv")).toBe("dir/a+b%2Bc.csv");
  });

  it("rejects broken percent escapes with a typed error naming the key", () => {
    expect(() => decodeS3Key("bad%E2%82.csv")).toThrow(MalformedEventError);
    expect(() => decodeS3Key("bad%zz.csv")).toThrow(/bad%zz\.csv/);
  });
});

describe("parseS3Notification", () => {
  it("reads the documented direct S3 event into an object reference", () => {
    const [record] = parseS3Notification(fixture("s3-put-event.json"));
    expect(record).toEqual({
      eventName: "ObjectCreated:Put",
      eventTime: "2019-09-03T19:37:27.192Z",
      object: {
        bucket: "DOC-EXAMPLE-BUCKET",
        key: "b21b84d653bb07b05b1e6b33684dc11b",
        size: 1305107,
        eTag: "b21b84d653bb07b05b1e6b33684dc11b",
        sequencer: "0C0F6F405D6ED209E1",
      },
    });
  });

  it("keeps versionId when the bucket is versioned", () => {
    const event = s3Event("k.csv") as { Records: Array<{ s3: { object: Record<string, unknown> } }> };
    event.Records[0]!.s3.object.versionId = "3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY";
    expect(parseS3Notification(event)[0]!.object.versionId).toBe("3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY");
  });

  it("yields one entry per record of a multi-record event, keys decoded", () => {
    const records = parseS3Notification(s3Event("a+b.csv", "c%2Bd.csv", "%C3%A9t%C3%A9.csv"));
    expect(records.map((r) => r.object.key)).toEqual(["a b.csv", "c+d.csv", "été.csv"]);
  });

  it("reads S3 events delivered through SNS to Lambda", () => {
    const records = parseS3Notification(lambdaSnsEvent(s3Event("in/my+file.csv")));
    expect(records.map((r) => r.object.key)).toEqual(["in/my file.csv"]);
  });

  it("reads S3 events delivered straight to SQS", () => {
    const records = parseS3Notification(sqsEvent(s3Event("q/1.csv"), s3Event("q/2.csv")));
    expect(records.map((r) => r.object.key)).toEqual(["q/1.csv", "q/2.csv"]);
  });

  it("reads S3 events delivered SQS-of-SNS without raw delivery", () => {
    const records = parseS3Notification(sqsEvent(snsWrapped(s3Event("sns/100%25+done.csv"))));
    expect(records.map((r) => r.object.key)).toEqual(["sns/100% done.csv"]);
  });

  it("reads S3 events delivered SQS-of-SNS with raw message delivery", () => {
    expect(parseS3Notification(sqsEvent(s3Event("raw.csv")))[0]!.object.key).toBe("raw.csv");
  });

  it("ignores the s3:TestEvent, however it is delivered", () => {
    const testEvent = fixture("s3-test-event.json");
    expect(parseS3Notification(testEvent)).toEqual([]);
    expect(parseS3Notification(sqsEvent(testEvent))).toEqual([]);
    expect(parseS3Notification(sqsEvent(snsWrapped(testEvent)))).toEqual([]);
    expect(parseS3Notification(lambdaSnsEvent(testEvent))).toEqual([]);
  });

  it("accepts the event as JSON text", () => {
    expect(parseS3Notification(JSON.stringify(s3Event("t.csv")))).toHaveLength(1);
  });

  it.each([
    ["not JSON", "{nope", /not valid JSON/],
    ["not an object", 42, /not a JSON object/],
    ["no Records", { foo: 1 }, /no Records/],
    [
      "record without s3",
      { Records: [{ eventSource: "aws:s3", eventName: "ObjectCreated:Put" }] },
      /Records\[0\]\.s3 is missing/,
    ],
    ["wrong eventSource", { Records: [{ eventSource: "aws:dynamodb" }] }, /not an S3, SNS or SQS record/],
    ["SQS body not JSON", { Records: [{ eventSource: "aws:sqs", body: "<xml/>" }] }, /not valid JSON/],
  ])("raises a typed error for %s", (_name, input, message) => {
    expect(() => parseS3Notification(input)).toThrow(MalformedEventError);
    expect(() => parseS3Notification(input)).toThrow(message);
  });

  it("names the missing field of a broken record", () => {
    const event = s3Event("k.csv") as { Records: Array<{ s3: { object: Record<string, unknown> } }> };
    delete event.Records[0]!.s3.object.key;
    try {
      parseS3Notification(event);
      throw new Error("expected a MalformedEventError");
    } catch (error) {
      expect(error).toBeInstanceOf(MalformedEventError);
      expect((error as MalformedEventError).context.field).toBe("Records[0].s3.object.key");
    }
  });

  it("rejects a negative size", () => {
    const event = s3Event("k.csv") as { Records: Array<{ s3: { object: Record<string, unknown> } }> };
    event.Records[0]!.s3.object.size = -1;
    expect(() => parseS3Notification(event)).toThrow(/size must be a non-negative integer/);
  });
});

describe("parseS3EventMessage and unwrapSqsBody", () => {
  it("parses one SQS body, SNS-wrapped or not", () => {
    expect(parseS3EventMessage(JSON.stringify(snsWrapped(s3Event("a.csv"))))[0]!.object.key).toBe("a.csv");
    expect(parseS3EventMessage(JSON.stringify(s3Event("b.csv")))[0]!.object.key).toBe("b.csv");
  });

  it("unwraps an SNS notification body and passes a raw body through", () => {
    expect(unwrapSqsBody(JSON.stringify(snsWrapped({ hello: "world" })))).toEqual({ hello: "world" });
    expect(unwrapSqsBody(JSON.stringify({ hello: "raw" }))).toEqual({ hello: "raw" });
    expect(() => unwrapSqsBody("nope")).toThrow(MalformedEventError);
  });
});
