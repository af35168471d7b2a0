export * from "./config";
export * from "./reasons";
export * from "./stage-stream";
