import type { DatasetContract } from "@sluice/core";
import type { StagingConfig } from "../config";
import type { RecordSink } from "../staging-writer";
import { readJsonArray } from "./json-array";
import { jsonRecordHandler } from "./json-records";
import type { RecordParser } from "./record-parser";

/** A contract's JSON format. */
export type JsonFormat = Extract<DatasetContract["format"], { type: "json" }>;

/**
 * A JSON {@link RecordParser}: each element of the records array ({@link readJsonArray}) is one
 * record, handled as an NDJSON line is (`jsonRecordHandler`: fields by name or dot path, a
 * non-object or a record nested past `maxJsonDepth` rejected), at the line where it starts.
 */
export function jsonParser(
  contract: DatasetContract,
  format: JsonFormat,
  sink: RecordSink,
  config: StagingConfig,
): RecordParser {
  const record = jsonRecordHandler(contract, sink, config);
  const options = { records: format.records, maxRecordChars: config.maxRecordChars };
  return {
    stages: [
      // The byte stages before this one wait for the staging outputs, so records never pile up.
      (source: AsyncIterable<Buffer>) =>
        readJsonArray(source, options, (text, line) => {
          record(text, line);
          return true;
        }),
    ],
    explain: (error) => error,
  };
}
