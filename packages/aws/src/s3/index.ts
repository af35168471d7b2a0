export {
  type ArchivedEvent,
  archivedEventOf,
  type EventArchiveLocation,
  parseArchiveUrl,
  type ReadEventArchiveOptions,
  readEventArchive,
  type SkippedArchiveLine,
} from "./event-archive";
export {
  DEFAULT_S3_OBJECT_STORE_CONFIG,
  MIN_PART_SIZE,
  rangeHeaderOf,
  S3ObjectStore,
  type S3ObjectStoreConfig,
} from "./s3-object-store";
