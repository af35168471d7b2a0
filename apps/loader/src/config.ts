/** Numbers that tune the loader; every one has a default in {@link DEFAULT_LOADER_CONFIG}. */
export interface LoaderConfig {
  /**
   * Longest wait (ms) for a lock: the run's ledger row (another delivery of the same run is
   * loading it) or the target table (a schema change). Past it the load fails and is retried.
   */
  lockTimeoutMs: number;
  /**
   * `work_mem` for the merge's sort (DISTINCT ON the primary key). Large enough to sort a
   * typical file in memory instead of spilling to disk; it is per transaction (`SET LOCAL`).
   */
  mergeWorkMem: string;
  /**
   * When the target table is empty, COPY the staged rows straight into it (no temporary table,
   * no merge: every row is an insert), which runs at raw COPY speed. A key repeated within the
   * file makes that COPY fail; it is then rolled back to a savepoint and the run is merged
   * instead, at the cost of reading the staged object twice.
   */
  directCopyIntoEmptyTable: boolean;
  /**
   * A merge into a table that already holds rows tries that straight COPY too when the raw object
   * is at most this many bytes: a file of new keys (the common stream of small files) then loads
   * at COPY speed, without the temporary table and the `INSERT … SELECT`. A key the table already
   * holds fails it at its row; it is rolled back and the run is merged, so a file whose overlap
   * comes late wastes at most one COPY of this size. 0 turns it off.
   */
  directCopyIntoTableMaxBytes: number;
  /**
   * Before merging, try a plain `INSERT … SELECT` of the staged rows (under a savepoint): a file
   * of new keys only (the common append) then skips the upsert's per-row conflict handling. The
   * first key the table or the file already holds fails it at once; it is rolled back and the
   * run is merged. A file whose only overlap comes late pays for the attempt.
   */
  insertNewKeysFirst: boolean;
  /**
   * Schema of the loader's own tables: the ledger (`<schema>.load_ledger`), the replace
   * snapshots' watermarks and the tombstones of deleted keys.
   */
  ledgerSchema: string;
  /**
   * How a `replace` load empties the table before the snapshot goes in. `delete` (the default)
   * takes only row locks: readers keep seeing the previous rows until the load commits, at the
   * cost of dead rows for vacuum. `truncate` is faster and leaves no dead rows, but holds an
   * ACCESS EXCLUSIVE lock until commit, so every reader of the table waits for the whole load.
   */
  replaceBy: "delete" | "truncate";
  /**
   * Rows per chunk when a move the table refused is retried piece by piece to find the rows at
   * fault: each chunk under its own savepoint, a refused chunk halved down to the single row.
   */
  isolationChunkRows: number;
  /** Loader rejections kept (written to `load-rejects.ndjson`); more are counted, not listed. */
  maxRejectionsKept: number;
  /** Rejections quoted in a `sluice.object.quarantined` event, so readers see why without the file. */
  firstRejections: number;
  /**
   * Early start (`sluice.object.split`): the first wait (ms) between two looks at the staging
   * bucket for the next part; it doubles while nothing new comes, up to {@link earlyStartMaxPollMs},
   * and starts again at this once a part arrives.
   */
  earlyStartPollMs: number;
  /**
   * Early start: the longest wait (ms) between two looks at the staging bucket. A second: the
   * last part (and the run's manifest) is found at most that late, which a file of a few parts
   * would otherwise pay in full at its end; one HEAD request a second per waiting run costs next
   * to nothing.
   */
  earlyStartMaxPollMs: number;
  /**
   * Early start: time (ms) kept free at the end of the invocation for what follows the last
   * part — its COPY, the merge or move, the commit — and for a rollback. The wait for parts ends
   * this long before the function's timeout (the Lambda context's remaining time); then the load
   * rolls back and the run's `sluice.object.staged` event loads it.
   */
  earlyStartReserveMs: number;
  /**
   * Early start: how long (ms) to wait for parts when the invocation's remaining time is not
   * known (no Lambda context); the reserve is not taken off it.
   */
  earlyStartWaitMs: number;
}

/** The loader's defaults. */
export const DEFAULT_LOADER_CONFIG: LoaderConfig = {
  lockTimeoutMs: 60_000,
  mergeWorkMem: "256MB",
  directCopyIntoEmptyTable: true,
  directCopyIntoTableMaxBytes: 16 * 1024 * 1024,
  insertNewKeysFirst: true,
  ledgerSchema: "sluice",
  replaceBy: "delete",
  isolationChunkRows: 10_000,
  maxRejectionsKept: 100_000,
  firstRejections: 10,
  earlyStartPollMs: 100,
  earlyStartMaxPollMs: 1_000,
  earlyStartReserveMs: 60_000,
  earlyStartWaitMs: 240_000,
};

/** The defaults overridden by `overrides`. */
export function loaderConfig(overrides: Partial<LoaderConfig> = {}): LoaderConfig {
  return { ...DEFAULT_LOADER_CONFIG, ...overrides };
}
