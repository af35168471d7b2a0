export { DEFAULT_STATE_DIR, runCli } from "./cli";
export { samplesDir } from "./commands/demo";
export { collectRejects, type RunWithRejects } from "./commands/rejects";
export type { CommandContext, CommandHandler, GlobalOptions } from "./context";
export { CliError, exitCodeOfError } from "./errors";
export { EXIT, type ExitCode, exitCodeOfRuns } from "./exit-codes";
export { type CliIo, processIo } from "./io";
export { createReporter, type Reporter } from "./report/reporter";
export type { DrainOutcome, DrainState } from "./runtime/drain";
export {
  type IngestedObject,
  type LocalRuntime,
  type RuntimeStatusSources,
  startLocalRuntime,
} from "./runtime/local-runtime";
export {
  DEFAULT_PIPELINE_SETTINGS,
  FUNCTION_NAMES,
  type FunctionName,
  type LocalPipelineSettings,
  type PipelineSettingsOverrides,
  resolvePipelineSettings,
} from "./runtime/settings";
export { runtimeHolding, StateDirectoryInUseError } from "./runtime/state-lock";
export { findLegacyEntrypoint, type LocalRuntimeOptions } from "./runtime/wiring";
export {
  type AwsClients,
  type AwsOptions,
  type AwsStatusLocation,
  awsDeadLetterQueues,
  createAwsClients,
  deployedDeadLetterQueues,
  locationFromOutputs,
  readArchivedEvents,
  readAwsStatus,
  readDeployedStatus,
  resolveAwsLocation,
  wantsAws,
} from "./status/aws-sources";
export { openLocalQueues, readLocalStatus, runtimeRunStatuses } from "./status/local-status";
export {
  BAD_STATES,
  collectRunStatuses,
  type DeadLetterRecord,
  type DeadLetterSource,
  type RunState,
  type RunStatus,
  type StatusSources,
} from "./status/object-status";
export {
  type RejectionSource,
  type RunRejection,
  type RunRejects,
  readRunRejects,
} from "./status/run-rejects";
export { selectRuns } from "./status/select-runs";
