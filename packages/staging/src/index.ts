export * from "./config";
export { decompressWithLimits } from "./decode/compression";
export { validateUtf8 } from "./decode/utf8";
export { type ObjectBytes, objectBytesFromFile, objectBytesFromStore } from "./parse/parquet";
export * from "./reasons";
export * from "./sample";
export * from "./stage-stream";
