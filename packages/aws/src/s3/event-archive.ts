import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { ConfigError, hasCode, type ObjectStore, parseEvent, type SluiceEvent } from "@sluice/core";

/** One archived event: the same shape as the local runtime's journal entries. */
export interface ArchivedEvent {
  /** When SNS published it (the notification's `Timestamp`; the event's `time` for raw records). */
  publishedAt: string;
  /** SNS message id (the event id for raw records). */
  messageId: string;
  event: SluiceEvent;
}

/** Where the archive is: a bucket and the key prefix Firehose writes under. */
export interface EventArchiveLocation {
  bucket: string;
  prefix: string;
}

/** A line of the archive that is not a Sluice event; reported, never fatal. */
export interface SkippedArchiveLine {
  key: string;
  line: number;
  reason: string;
}

/** Options of {@link readEventArchive}. */
export interface ReadEventArchiveOptions {
  /**
   * Skip objects written more than an hour before this ISO time (judged by Firehose's
   * `YYYY/MM/DD/HH/` key prefix; the hour of slack covers records buffered across an hour).
   */
  since?: string;
  /** Told about every line that is not an event (a torn record, something else on the topic). */
  onSkipped?: (skipped: SkippedArchiveLine) => void;
}

/** Parses `s3://bucket/prefix` (the `events_archive_url` Terraform output). */
export function parseArchiveUrl(url: string): EventArchiveLocation {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!match) throw new ConfigError(`${url} is not an s3://bucket/prefix URL`, { url });
  const prefix = match[2] ?? "";
  return { bucket: match[1]!, prefix: prefix === "" || prefix.endsWith("/") ? prefix : `${prefix}/` };
}

/**
 * Every event in the archive the events topic feeds through Firehose, object by object in key
 * order (which is time order by hour), line by line. Objects are streamed (gzip or not, told
 * apart by their first bytes, since Firehose's `GZIP` compression sets no content encoding).
 *
 * A line is either the SNS notification JSON (raw message delivery off, as deployed: the event is
 * its `Message`, the publication time its `Timestamp`) or, with raw delivery, the event itself.
 * Within one object lines are in arrival order; across objects buffered in parallel they may
 * interleave, so a reader that needs strict order sorts by `publishedAt`.
 */
export async function* readEventArchive(
  store: ObjectStore,
  location: EventArchiveLocation,
  options: ReadEventArchiveOptions = {},
): AsyncIterable<ArchivedEvent> {
  const earliestHour = options.since ? hourFloor(Date.parse(options.since)) - 3_600_000 : undefined;
  for await (const head of store.list(location.bucket, location.prefix)) {
    if (earliestHour !== undefined) {
      const written = hourOfKey(head.key.slice(location.prefix.length));
      if (written !== undefined && written < earliestHour) continue;
    }
    let number = 0;
    try {
      const lines = createInterface({
        input: await decoded(await store.get(location.bucket, head.key)),
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      for await (const line of lines) {
        number += 1;
        if (line.trim() === "") continue;
        let archived: ArchivedEvent;
        try {
          archived = archivedEventOf(line);
        } catch (error) {
          options.onSkipped?.({ key: head.key, line: number, reason: messageOf(error) });
          continue;
        }
        yield archived;
      }
    } catch (error) {
      // A corrupt gzip stream or an object gone since the listing: the rest of it is unreadable.
      if (hasCode(error, "aws-retryable")) throw error;
      options.onSkipped?.({ key: head.key, line: number + 1, reason: `unreadable: ${messageOf(error)}` });
    }
  }
}

/** One archive line as an {@link ArchivedEvent}; throws when it holds no valid Sluice event. */
export function archivedEventOf(line: string): ArchivedEvent {
  const value: unknown = JSON.parse(line);
  if (isNotification(value)) {
    return { publishedAt: value.Timestamp, messageId: value.MessageId, event: parseEvent(value.Message) };
  }
  const event = parseEvent(value);
  return { publishedAt: event.time, messageId: event.id, event };
}

interface SnsNotificationRecord {
  Type: "Notification";
  MessageId: string;
  Timestamp: string;
  Message: string;
}

function isNotification(value: unknown): value is SnsNotificationRecord {
  if (typeof value !== "object" || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    record.Type === "Notification" &&
    typeof record.Message === "string" &&
    typeof record.MessageId === "string" &&
    typeof record.Timestamp === "string"
  );
}

/** The body, gunzipped when it starts with the gzip magic bytes. */
async function decoded(body: Readable): Promise<Readable> {
  const chunks = body[Symbol.asyncIterator]();
  const first = await chunks.next();
  if (first.done) return Readable.from([]);
  const head = Buffer.from(first.value as Buffer);
  const whole = Readable.from(
    (async function* () {
      yield head;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value as Buffer;
    })(),
  );
  return head[0] === 0x1f && head[1] === 0x8b ? whole.pipe(createGunzip()) : whole;
}

/** Epoch ms of the `YYYY/MM/DD/HH/` Firehose puts after the prefix, when the key has one. */
function hourOfKey(rest: string): number | undefined {
  const match = /^(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\//.exec(rest);
  if (!match) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]), Number(match[4]));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function hourFloor(ms: number): number {
  return Math.floor(ms / 3_600_000) * 3_600_000;
}
