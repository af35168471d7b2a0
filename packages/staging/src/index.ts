export * from "./config";
export { type ObjectBytes, objectBytesFromFile, objectBytesFromStore } from "./parse/parquet";
export * from "./reasons";
export * from "./sample";
export * from "./stage-stream";
