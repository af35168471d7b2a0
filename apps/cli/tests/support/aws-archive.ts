import { gzipSync } from "node:zlib";
import type { S3ObjectStore } from "@sluice/aws";
import type { JournalEntry } from "@sluice/local";

/** The events archive bucket of a made-up dev stack. */
export const ARCHIVE_BUCKET = "sluice-dev-events-111111111111";
const TOPIC_ARN = "arn:aws:sns:eu-west-1:111111111111:sluice-dev-events";

/** The line the deployed subscription (raw delivery off) makes of a published event, after Firehose's delimiter. */
function notificationLine(entry: JournalEntry): string {
  return JSON.stringify({
    Type: "Notification",
    MessageId: entry.messageId,
    TopicArn: TOPIC_ARN,
    Message: JSON.stringify(entry.event),
    Timestamp: entry.publishedAt,
    UnsubscribeURL: "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
    MessageAttributes: { type: { Type: "String", Value: entry.event.type } },
  });
}

/**
 * Writes the journal into the archive the way Firehose would: a few buffered objects under
 * `events/YYYY/MM/DD/HH/`, the first gzip (GZIP compression), the rest plain, and one record
 * delivered twice (Firehose is at-least-once).
 */
export async function archiveJournal(store: S3ObjectStore, entries: JournalEntry[]): Promise<void> {
  const third = Math.ceil(entries.length / 3);
  const objects = [entries.slice(0, third), entries.slice(third, 2 * third), entries.slice(2 * third)];
  for (const [index, batch] of objects.entries()) {
    if (batch.length === 0) continue;
    const hour = batch[0]!.publishedAt.slice(0, 13).replace(/[-T]/g, "/");
    const lines = batch.map(notificationLine);
    if (index === 2) lines.push(notificationLine(batch[0]!));
    const body = `${lines.join("\n")}\n`;
    const key = `events/${hour}/sluice-dev-events-archive-1-${index}${index === 0 ? ".gz" : ""}`;
    await store.put(ARCHIVE_BUCKET, key, index === 0 ? gzipSync(body) : body);
  }
}
