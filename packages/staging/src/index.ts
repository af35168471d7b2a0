export * from "./config";
export { decompressWithLimits } from "./decode/compression";
export { validateUtf8 } from "./decode/utf8";
export { findJsonRecordsPath } from "./parse/json-records-path";
export {
  type ObjectBytes,
  objectBytesFromFile,
  objectBytesFromStore,
  readParquetMetadata,
} from "./parse/parquet";
export * from "./parts";
export * from "./reasons";
export * from "./sample";
export * from "./stage-stream";
