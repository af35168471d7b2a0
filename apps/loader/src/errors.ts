import { ContractError, RetryableError, SluiceError } from "@sluice/core";

/** What a {@link SchemaMismatchError} found wrong with the target table. */
export type SchemaMismatchKind =
  | "type-changed"
  | "column-missing"
  | "column-not-null"
  | "primary-key-changed"
  | "no-primary-key"
  | "column-default";

/**
 * The target table cannot take the dataset's contract as it is (a column's type changed, a
 * required column is missing, the primary key differs). Loading anyway could corrupt data, so
 * the message is dead-lettered until a person migrates the table or fixes the contract.
 */
export class SchemaMismatchError extends ContractError {
  override readonly code = "schema-mismatch";
  /** The schema-qualified table. */
  readonly table: string;
  readonly kind: SchemaMismatchKind;
  /** The column at fault (absent for primary-key problems). */
  readonly column?: string;
  /** What the table has (a type, `nullable`/`not null`, or a key list). */
  readonly tableHas?: string;
  /** What the contract needs. */
  readonly contractNeeds?: string;

  constructor(
    message: string,
    detail: {
      table: string;
      kind: SchemaMismatchKind;
      column?: string;
      tableHas?: string;
      contractNeeds?: string;
      dataset?: string;
    },
    options?: ErrorOptions,
  ) {
    super(message, { ...detail }, options);
    this.table = detail.table;
    this.kind = detail.kind;
    if (detail.column !== undefined) this.column = detail.column;
    if (detail.tableHas !== undefined) this.tableHas = detail.tableHas;
    if (detail.contractNeeds !== undefined) this.contractNeeds = detail.contractNeeds;
  }
}

/**
 * A staged run that does not fit the deployed contract (other columns or order, another run
 * id): loading it would put values in the wrong columns, so it is dead-lettered.
 */
export class StagedRunMismatchError extends ContractError {
  override readonly code = "staged-run-mismatch";
}

/**
 * The staged rows object is not the one its manifest describes (SHA-256, size or row count
 * differ). Retried, because a re-staging of the same run may be overwriting it right now;
 * after the queue's receive limit it lands in the DLQ.
 */
export class ChecksumMismatchError extends RetryableError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super("checksum-mismatch", message, context);
  }
}

/** Why `unloadRun` refused: nothing in the ledger, nothing loaded, or rows that cannot be told apart. */
export type UnloadRefusal = "unknown-run" | "not-loaded" | "no-table" | "no-lineage";

/**
 * An unload that cannot be done as asked: the ledger knows no such run or key, its runs are not
 * loaded (pending, or unloaded already), its table is gone, or the table has no lineage column to
 * find the run's rows by. Asking again gives the same answer, so it is never retried; `code` is
 * the {@link UnloadRefusal}.
 */
export class UnloadRefusedError extends SluiceError {
  readonly disposition = "dead-letter" as const;
  declare readonly code: UnloadRefusal;

  constructor(code: UnloadRefusal, message: string, context: Record<string, unknown> = {}) {
    super(code, message, context);
  }
}
