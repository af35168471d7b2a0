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
   * Before merging, try a plain `INSERT … SELECT` of the staged rows (under a savepoint): a file
   * of new keys only (the common append) then skips the upsert's per-row conflict handling. The
   * first key the table or the file already holds fails it at once; it is rolled back and the
   * run is merged. A file whose only overlap comes late pays for the attempt.
   */
  insertNewKeysFirst: boolean;
  /** Schema of the ledger table (`<schema>.load_ledger`). */
  ledgerSchema: string;
}

/** The loader's defaults. */
export const DEFAULT_LOADER_CONFIG: LoaderConfig = {
  lockTimeoutMs: 60_000,
  mergeWorkMem: "256MB",
  directCopyIntoEmptyTable: true,
  insertNewKeysFirst: true,
  ledgerSchema: "sluice",
};

/** The defaults overridden by `overrides`. */
export function loaderConfig(overrides: Partial<LoaderConfig> = {}): LoaderConfig {
  return { ...DEFAULT_LOADER_CONFIG, ...overrides };
}
