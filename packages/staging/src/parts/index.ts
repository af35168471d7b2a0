export type { RecordBoundary } from "./boundaries";
export type { ObjectPart } from "./part";
export { type PartPlan, type PartPlanOptions, planParts } from "./plan";
export { type PartManifest, type PartOutcome, partKeysOf, stagePart } from "./stage-part";
