export { DEFAULT_LOADER_CONFIG, type LoaderConfig, loaderConfig } from "./config";
export {
  ChecksumMismatchError,
  SchemaMismatchError,
  type SchemaMismatchKind,
  StagedRunMismatchError,
} from "./errors";
export { type LedgerEntry, ledgerTableOf, readLedgerEntry } from "./ledger";
export type { LoaderLogger } from "./load-context";
export { LOADER_SOURCE, type LoaderDeps, type LoadOutcome, loadStagedRun } from "./load-staged-run";
export { createLoaderHandler, type LoaderHandler, loadRecord } from "./loader-handler";
export { columnTypeOf, createTableSql, ensureTargetTable, type TargetTable } from "./schema";
export { displayName, qualifiedName, quoteIdent, splitTableName, type TableName } from "./sql";
export { type CreateLoadTargetOptions, createLoadTarget, isServerUrl } from "./targets/create";
export { PgLoadTarget } from "./targets/pg";
export {
  DEFAULT_PGLITE_OPTIONS,
  PgliteLoadTarget,
  type PgliteLoadTargetOptions,
  toBlobCopy,
} from "./targets/pglite";
