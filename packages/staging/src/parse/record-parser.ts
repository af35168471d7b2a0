import type { Duplex, Writable } from "node:stream";

/** A pipeline stage after the byte stages: a stream, or an async generator / consumer function. */
export type ParserStage = Duplex | Writable | ((source: AsyncIterable<never>) => unknown);

/** Turns validated UTF-8 bytes into records handed to a {@link RecordSink}, as pipeline stages. */
export interface RecordParser {
  /** The last stages of the staging pipeline; the last one consumes everything. */
  stages: ParserStage[];
  /** Maps a failure raised by the stages to the error staging acts on (e.g. a quarantine). */
  explain(error: unknown): unknown;
}
