export type { RecordBoundary } from "./boundaries";
export type { ObjectPart } from "./part";
export { type PartPlan, type PartPlanOptions, planParts } from "./plan";
export { type PartOutcome, stagePart } from "./stage-part";
