import { SluiceError } from "../errors";

/**
 * SNS's message size limit: the body plus every attribute's name, type and value, in UTF-8 bytes
 * ("at most 256 KB in size (262,144 bytes, not 262,144 characters)",
 * https://docs.aws.amazon.com/sns/latest/api/API_Publish.html; "All parts of the message
 * attribute, including name, type, and value, are included in the message size restriction",
 * https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html).
 */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** A message attribute as SNS counts it: its data type and its value. */
export interface SizedAttribute {
  /** `String`, `Number`, `String.Array` or `Binary` (plain strings count as `String`). */
  Type?: string;
  Value: string;
}

/** The bytes SNS counts for a message: body, then each attribute's name, data type and value. */
export function snsMessageBytes(
  message: string,
  attributes: Record<string, string | SizedAttribute> = {},
): number {
  let bytes = Buffer.byteLength(message);
  for (const [name, attribute] of Object.entries(attributes)) {
    const { Type = "String", Value } = typeof attribute === "string" ? { Value: attribute } : attribute;
    bytes += Buffer.byteLength(name) + Buffer.byteLength(Type) + Buffer.byteLength(Value);
  }
  return bytes;
}

/** A message SNS would refuse for its size. Retrying cannot shrink it: dead-letter. */
export class MessageTooLargeError extends SluiceError {
  readonly disposition = "dead-letter" as const;
  constructor(bytes: number, limit: number, context: Record<string, unknown> = {}) {
    super("message-too-large", `message is ${bytes} bytes, over the ${limit}-byte SNS limit`, {
      ...context,
      bytes,
      limit,
    });
  }
}

/** Throws {@link MessageTooLargeError} when `message` with `attributes` is over `limit` bytes. */
export function assertPublishable(
  message: string,
  attributes: Record<string, string | SizedAttribute> = {},
  limit = SNS_MAX_MESSAGE_BYTES,
  context: Record<string, unknown> = {},
): void {
  const bytes = snsMessageBytes(message, attributes);
  if (bytes > limit) throw new MessageTooLargeError(bytes, limit, context);
}

/**
 * How much free text an event carries, in UTF-8 bytes, so every event stays publishable
 * whatever a program printed or a reason said. Longer text is cut, with a marker saying how much.
 */
export interface EventSizeLimits {
  /** The whole event JSON; the rest of SNS's 256 KiB is left for the message attributes. */
  eventBytes: number;
  /** `message` of failed and quarantined events and `skipped.message` of loaded ones (start kept). */
  messageBytes: number;
  /** `reason` of failed and quarantined events (start kept). */
  reasonBytes: number;
  /** `stderrTail` of failed events (its end kept: the last lines say what went wrong). */
  stderrTailBytes: number;
  /** `field`, `reason` and `value` of each of a quarantined event's first rejections. */
  rejectionTextBytes: number;
  /** First rejections an event carries at most (the rejects file has them all). */
  firstRejections: number;
}

/** Defaults of {@link EventSizeLimits}: about 70 KiB of text at most, well under the event budget. */
export const DEFAULT_EVENT_SIZE_LIMITS: Readonly<EventSizeLimits> = {
  eventBytes: SNS_MAX_MESSAGE_BYTES - 16 * 1024,
  messageBytes: 8 * 1024,
  reasonBytes: 1024,
  stderrTailBytes: 16 * 1024,
  rejectionTextBytes: 1024,
  firstRejections: 20,
};

/**
 * `text` cut to at most `maxBytes` UTF-8 bytes, marker included, on a character boundary:
 * `keep: "start"` keeps the beginning and ends with `…[N bytes truncated]`, `keep: "end"` keeps
 * the end and starts with `[N bytes truncated]…`. Text that fits is returned as it is.
 */
export function truncateText(text: string, maxBytes: number, keep: "start" | "end" = "start"): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  const marker = (omitted: number) => `[${omitted} bytes truncated]`;
  // The marker's own length depends on the count; the count's digits never exceed the total's.
  const room = Math.max(0, maxBytes - Buffer.byteLength(`…${marker(bytes.length)}`));
  if (keep === "start") {
    let end = room;
    while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
    return `${bytes.subarray(0, end).toString()}…${marker(bytes.length - end)}`;
  }
  let start = bytes.length - room;
  while (start < bytes.length && (bytes[start]! & 0xc0) === 0x80) start++;
  return `${marker(start)}…${bytes.subarray(start).toString()}`;
}

interface FreeText {
  message?: unknown;
  reason?: unknown;
  stderrTail?: unknown;
  skipped?: { reason: string; message: string };
  firstRejections?: { line: number; field: string; reason: string; value?: string }[];
}

/**
 * A copy of an event's `data` with its free text within `limits` (see {@link EventSizeLimits}).
 * When the event JSON would still be over `limits.eventBytes` (text that JSON escapes to several
 * bytes a character), the text limits are halved until it fits.
 */
export function boundEventData<T extends object>(
  data: T,
  limits: EventSizeLimits,
  serialize: (data: T) => string,
): T {
  let current = limits;
  for (;;) {
    const bounded = boundOnce(data, current);
    const fits = Buffer.byteLength(serialize(bounded)) <= limits.eventBytes;
    if (fits || current.rejectionTextBytes <= 64) return bounded;
    current = {
      ...current,
      messageBytes: current.messageBytes / 2,
      reasonBytes: current.reasonBytes / 2,
      stderrTailBytes: current.stderrTailBytes / 2,
      rejectionTextBytes: current.rejectionTextBytes / 2,
      firstRejections: Math.max(1, Math.floor(current.firstRejections / 2)),
    };
  }
}

function boundOnce<T extends object>(data: T, limits: EventSizeLimits): T {
  const bounded: FreeText = { ...(data as FreeText) };
  const text = (value: string, max: number) => truncateText(value, Math.floor(max));
  if (typeof bounded.message === "string") bounded.message = text(bounded.message, limits.messageBytes);
  if (typeof bounded.reason === "string") bounded.reason = text(bounded.reason, limits.reasonBytes);
  if (typeof bounded.stderrTail === "string")
    bounded.stderrTail = truncateText(bounded.stderrTail, Math.floor(limits.stderrTailBytes), "end");
  if (bounded.skipped)
    bounded.skipped = { ...bounded.skipped, message: text(bounded.skipped.message, limits.messageBytes) };
  if (bounded.firstRejections) {
    const max = limits.rejectionTextBytes;
    bounded.firstRejections = bounded.firstRejections.slice(0, limits.firstRejections).map((rejection) => ({
      ...rejection,
      field: text(rejection.field, max),
      reason: text(rejection.reason, max),
      ...(rejection.value === undefined ? {} : { value: text(rejection.value, max) }),
    }));
  }
  return bounded as T;
}
