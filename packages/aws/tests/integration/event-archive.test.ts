import { gzipSync } from "node:zlib";
import { createEvent, type SluiceEvent } from "@sluice/core";
import { parseArchiveUrl, readEventArchive, S3ObjectStore, type SkippedArchiveLine } from "../../src";
import { type LocalS3, startLocalS3 } from "./s3rver";

const BUCKET = "sluice-dev-events-111111111111";
const object = { bucket: "raw", key: "orders/2026 03+orders ✓.csv", size: 10, eTag: "e1" };
const runId = "r-0123456789abcdef0123456789abcdef";

const received = createEvent("sluice.object.received", "sluice/listener", {
  runId,
  object,
  dataset: "orders",
  contractVersion: 1,
  route: "lambda",
});
const staged = createEvent("sluice.object.staged", "sluice/transform", {
  runId,
  object,
  dataset: "orders",
  contractVersion: 1,
  route: "lambda",
  staged: {
    bucket: "staging",
    rowsKey: `staged/orders/${runId}/rows.csv.gz`,
    rejectsKey: `staged/orders/${runId}/rejects.ndjson`,
    manifestKey: `staged/orders/${runId}/manifest.json`,
  },
  counts: { rows: 3, staged: 3, rejected: 0 },
});

/** The line SNS hands Firehose with raw message delivery off (what the deployed subscription does). */
function notificationLine(event: SluiceEvent, messageId: string, timestamp: string): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: messageId,
    TopicArn: "arn:aws:sns:eu-west-1:111111111111:sluice-dev-events",
    Message: JSON.stringify(event),
    Timestamp: timestamp,
    UnsubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    MessageAttributes: { type: { Type: "String", Value: event.type } },
  });
}

describe("readEventArchive against a local S3-API server (s3rver)", () => {
  let s3: LocalS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
    store = new S3ObjectStore(s3.client, { listPageSize: 1 });
    // Firehose's layout: <prefix>YYYY/MM/DD/HH/<stream>-<version>-<time>-<uuid>[.gz], NDJSON after the delimiter processor.
    await store.put(
      BUCKET,
      "events/2026/03/01/09/sluice-dev-events-archive-1-2026-03-01-09-10-00-a.gz",
      gzipSync(`${notificationLine(received, "m-1", "2026-03-01T09:09:59.000Z")}\n`),
    );
    await store.put(
      BUCKET,
      "events/2026/03/01/10/sluice-dev-events-archive-1-2026-03-01-10-00-00-b",
      `${JSON.stringify(staged)}\nnot json\n${JSON.stringify({ Type: "Notification", MessageId: "x", Timestamp: "t", Message: "{}" })}\n`,
    );
    await store.put(BUCKET, "events-errors/processing-failed/2026/03/01/10/x", "{}\n");
  });

  afterAll(async () => {
    await s3.stop();
  });

  it("reads gzip and plain objects, notification and raw lines, in key order, and reports what it skips", async () => {
    const skipped: SkippedArchiveLine[] = [];

    const read = [];
    for await (const entry of readEventArchive(store, parseArchiveUrl(`s3://${BUCKET}/events`), {
      onSkipped: (line) => skipped.push(line),
    }))
      read.push(entry);

    expect(read).toEqual([
      { publishedAt: "2026-03-01T09:09:59.000Z", messageId: "m-1", event: received },
      { publishedAt: staged.time, messageId: staged.id, event: staged },
    ]);
    expect(skipped.map(({ key, line }) => [key.slice(-2), line])).toEqual([
      ["-b", 2],
      ["-b", 3],
    ]);
    expect(skipped[1]!.reason).toMatch(/field/);
  });

  it("skips objects written more than an hour before --since", async () => {
    const read = [];
    for await (const entry of readEventArchive(
      store,
      { bucket: BUCKET, prefix: "events/" },
      { since: "2026-03-01T11:30:00.000Z" },
    ))
      read.push(entry.event.type);

    expect(read).toEqual(["sluice.object.staged"]);
  });

  it("parses the events_archive_url output", () => {
    expect(parseArchiveUrl("s3://b/events/")).toEqual({ bucket: "b", prefix: "events/" });
    expect(parseArchiveUrl("s3://b")).toEqual({ bucket: "b", prefix: "" });
    expect(() => parseArchiveUrl("b/events")).toThrow(/s3:\/\/bucket\/prefix/);
  });
});
