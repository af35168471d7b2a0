export { DEFAULT_LOADER_CONFIG, type LoaderConfig, loaderConfig } from "./config";
export { databaseConfigured, isServerUrl, loadTargetFromEnv, type SecretsReader } from "./database";
export {
  ChecksumMismatchError,
  SchemaMismatchError,
  type SchemaMismatchKind,
  StagedRunMismatchError,
  type UnloadRefusal,
  UnloadRefusedError,
} from "./errors";
export {
  LEDGER_STATUSES,
  type LedgerEntry,
  type LedgerStatus,
  ledgerTableOf,
  readLedgerEntry,
} from "./ledger";
export { LINEAGE_RUN_ID_DEFAULT, RUN_ID_SETTING } from "./lineage";
export { LOADER_SOURCE, type LoaderDeps, type LoadOutcome } from "./load-outcome";
export { BAD_ROW_RATIO, loadRejectsKeyOf } from "./load-rejects";
export { type EarlyStartOutcome, type EarlyStartSkipped, loadSplitRun } from "./load-split-run";
export { loadStagedRun } from "./load-staged-run";
export {
  createLoaderHandler,
  LOADER_BATCH_MODE,
  type LoaderHandlerDeps,
  loadFailureEvent,
  loadRecord,
  maxReceiveCountFromEnv,
} from "./loader-handler";
export {
  columnTypeOf,
  createTableSql,
  ensureTargetTable,
  lineageIndexSql,
  readTableColumns,
  type TargetTable,
  type WidenedColumn,
} from "./schema";
export { OLDER_SNAPSHOT, watermarkTableOf } from "./snapshots";
export { displayName, qualifiedName, quoteIdent, splitTableName, type TableName } from "./sql";
export { type CreateLoadTargetOptions, createLoadTarget } from "./targets/create";
export { DEFAULT_CONNECT_TIMEOUT_MS, PgLoadTarget } from "./targets/pg";
export {
  DEFAULT_PGLITE_OPTIONS,
  PgliteLoadTarget,
  type PgliteLoadTargetOptions,
  toBlobCopy,
} from "./targets/pglite";
export { tombstoneTableOf } from "./tombstones";
export { type UnloadDeps, type UnloadedRun, unloadRun } from "./unload";
