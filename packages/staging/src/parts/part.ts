import type { RowGroupRange } from "../parse/parquet";

/**
 * One part of an object, as {@link planParts} cuts it: staged on its own (`stagePart`), it gives
 * exactly the rows and rejections the single pass gives for its records, at the same lines.
 * Plain data, so it travels in a queue message to the worker that stages it.
 */
export interface ObjectPart {
  /** 0-based place of the part in its plan; the parts' rows, concatenated in this order, are the object's. */
  index: number;
  /** First byte of the part in the object. */
  start: number;
  /** Byte after its last (exclusive); the next part starts here. */
  end: number;
  /**
   * 1-based line of its first byte, counted as staging counts lines (CSV: every CRLF, LF or lone
   * CR, quoted or not; NDJSON and fixed-width: every LF); Parquet: the row number of its first row.
   */
  firstLine: number;
  /** CSV with a header, a part after the first: the object's header record, which its rows are read by. */
  header?: string[];
  /** Parquet: the row groups it holds. */
  rowGroups?: RowGroupRange;
}
