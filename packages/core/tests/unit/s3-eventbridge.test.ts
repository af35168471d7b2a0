import { readFileSync } from "node:fs";
import { join } from "node:path";
import { MalformedEventError, parseS3EventMessage, parseS3Notification } from "../../src";

/** The fields of an S3 EventBridge event these tests change. */
interface S3EventBridgeEvent {
  source: string;
  "detail-type": string;
  detail: { reason?: string; bucket?: { name: string }; object: { key?: string; size?: number } };
}

/** The "Object created" example of https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html */
function objectCreated(): S3EventBridgeEvent {
  return JSON.parse(readFileSync(join(__dirname, "fixtures", "s3-eventbridge-object-created.json"), "utf8"));
}

describe("S3 events delivered by EventBridge", () => {
  it("read as the same object a notification names, eTag, version and sequencer included", () => {
    expect(parseS3EventMessage(JSON.stringify(objectCreated()))).toEqual([
      {
        eventName: "ObjectCreated:Put",
        eventTime: "2021-11-12T00:00:00Z",
        object: {
          bucket: "amzn-s3-demo-bucket1",
          key: "example-key",
          size: 5,
          eTag: "b1946ac92492d2347c6235b4d2611184",
          versionId: "IYV3p45BT0ac8hjHg1houSdS1a.Mro8e",
          sequencer: "00617F08299329D189",
        },
      },
    ]);
  });

  it("keep the key as it is: EventBridge does not form-URL-encode it", () => {
    const event = objectCreated();
    event.detail.object.key = "raw/health check/2023-08-08T14:03:40+01.csv";

    expect(parseS3EventMessage(event)[0]!.object.key).toBe("raw/health check/2023-08-08T14:03:40+01.csv");
  });

  it.each([
    ["CompleteMultipartUpload", "ObjectCreated:CompleteMultipartUpload"],
    ["CopyObject", "ObjectCreated:Copy"],
    ["POST Object", "ObjectCreated:Post"],
  ])("name a %s as %s", (reason, eventName) => {
    const event = objectCreated();
    event.detail.reason = reason;

    expect(parseS3EventMessage(event)[0]!.eventName).toBe(eventName);
  });

  it("name other detail types so consumers of new objects can tell and ignore them", () => {
    const event = objectCreated();
    event["detail-type"] = "Object Deleted";
    delete event.detail.object.size;

    expect(parseS3EventMessage(event)[0]).toMatchObject({
      eventName: "EventBridge:Object Deleted",
      object: { size: 0 },
    });
  });

  it("arrive directly, in an SQS record, or in an SNS envelope", () => {
    const body = JSON.stringify(objectCreated());
    const sqs = { Records: [{ eventSource: "aws:sqs", messageId: "m-1", body }] };
    const sns = { Type: "Notification", MessageId: "n-1", Message: body };

    expect(parseS3Notification(objectCreated())).toHaveLength(1);
    expect(parseS3Notification(sqs)[0]!.object.key).toBe("example-key");
    expect(parseS3EventMessage(sns)[0]!.object.key).toBe("example-key");
  });

  it.each([
    ["detail.bucket.name", (e: S3EventBridgeEvent) => delete e.detail.bucket],
    ["detail.object.key", (e: S3EventBridgeEvent) => delete e.detail.object.key],
    ["detail.object.size", (e: S3EventBridgeEvent) => (e.detail.object.size = -1)],
  ])("name the missing or wrong field %s", (field, breakIt) => {
    const event = objectCreated();
    breakIt(event);

    expect(() => parseS3EventMessage(event)).toThrow(MalformedEventError);
    try {
      parseS3EventMessage(event);
    } catch (error) {
      expect((error as MalformedEventError).context.field).toBe(field);
    }
  });

  it("are not mistaken for another service's EventBridge event", () => {
    const event = { ...objectCreated(), source: "aws.ec2" };

    expect(() => parseS3EventMessage(event)).toThrow(/not an S3 event from EventBridge/);
  });
});
