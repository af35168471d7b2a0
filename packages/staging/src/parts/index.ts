export type { RecordBoundary } from "./boundaries";
export { completeRun } from "./complete-run";
export {
  type PartStager,
  type SplitOutcome,
  splitObject,
  stageRequestedPart,
} from "./fan-out";
export type { ObjectPart } from "./part";
export { type PartPlan, type PartPlanOptions, planParts } from "./plan";
export { type PartOutcome, stagePart } from "./stage-part";
