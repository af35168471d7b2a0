export { EXIT, type ExitCode } from "./commands/exit-codes";
export { type CliIo, processIo } from "./commands/io";
export { DEFAULT_STATE_DIR, runCli, samplesDir } from "./commands/program";
export {
  createLocalPipeline,
  type DrainState,
  findLegacyEntrypoint,
  type IngestedObject,
  type LocalPipeline,
  type LocalPipelineOptions,
  runtimeHolding,
} from "./pipeline/local-pipeline";
export {
  DEFAULT_PIPELINE_SETTINGS,
  FUNCTION_NAMES,
  type FunctionName,
  type LocalPipelineSettings,
  type PipelineSettingsOverrides,
  resolvePipelineSettings,
} from "./pipeline/settings";
export {
  type AwsClients,
  type AwsOptions,
  type AwsStatusLocation,
  awsDeadLetterQueues,
  createAwsClients,
  locationFromOutputs,
  readArchivedEvents,
  readAwsStatus,
  resolveAwsLocation,
  wantsAws,
} from "./status/aws-sources";
export {
  BAD_STATES,
  collectRunStatuses,
  type DeadLetterRecord,
  type DeadLetterSource,
  type RunState,
  type RunStatus,
  type StatusSources,
} from "./status/object-status";
