import type { StageDeps, StageOutcome, StageParams } from "@sluice/staging";

/**
 * The staging step transform and the legacy wrapper share (`stageStream` of `@sluice/staging`): streams
 * the content, validates each row against the contract, writes rows, rejects and (last) the
 * manifest to the run's staging keys, and publishes `sluice.object.staged` or
 * `sluice.object.quarantined`. Injected so the wrapper produces exactly what transform produces.
 */
export type StageFunction = (params: StageParams, deps: StageDeps) => Promise<StageOutcome>;
