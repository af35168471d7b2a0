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

/**
 * Where the text a parser reads starts in its object: the object's first byte, or the first
 * byte of a part (`planParts`), so records keep the whole object's line numbers.
 */
export interface TextStart {
  /** 1-based line of the first byte: the line breaks before it, plus one. */
  firstLine: number;
  /** True at the object's first byte, the only place a BOM is dropped (elsewhere U+FEFF is data). */
  atObjectStart: boolean;
  /** CSV with a header, read from a part after the first: the object's header record. */
  header?: string[];
}

/** The start of a whole object. */
export const OBJECT_START: TextStart = Object.freeze({ firstLine: 1, atObjectStart: true });
