import { pipeline } from "node:stream/promises";
import {
  ContractError,
  compileRowValidator,
  type DatasetContract,
  type FormatSpec,
  QuarantineError,
  type Rejection,
  type StagingKeys,
} from "@sluice/core";
import { resolveStagingConfig, type StagingConfig } from "./config";
import { decompressWithLimits } from "./decode/compression";
import { validateUtf8From } from "./decode/utf8";
import { csvParser } from "./parse/csv";
import { jsonParser } from "./parse/json";
import { fixedWidthParser, ndjsonParser } from "./parse/lines";
import { objectBytesFromStore } from "./parse/parquet";
import { stageParquetRows } from "./parse/parquet-records";
import { OBJECT_START, type RecordParser, type TextStart } from "./parse/record-parser";
import type { ObjectPart } from "./parts/part";
import { withSourceLines } from "./source-lines";
import type { StageCounts, StageDeps, StageParams } from "./stage-stream";
import { type RecordSink, type StagedRowsDigest, StagingWriter } from "./staging-writer";

/**
 * What staging the records of an object (or of one part of it) into their outputs came to: the
 * rows object written, or why the content can never load (its outputs abandoned).
 */
export type StagedContent = {
  counts: StageCounts;
  /** The first rejections, quoted in a quarantine event. */
  firstRejections: Rejection[];
} & ({ rows: StagedRowsDigest; quarantine?: undefined } | { quarantine: QuarantineError });

function recordParserFor(
  contract: DatasetContract,
  format: Exclude<FormatSpec, { type: "parquet" }>,
  writer: RecordSink,
  config: StagingConfig,
  start: TextStart,
): RecordParser {
  switch (format.type) {
    case "csv":
      return csvParser(contract, format, writer, config, start);
    case "ndjson":
      return ndjsonParser(contract, writer, config, start);
    case "fixed-width":
      return fixedWidthParser(contract, format, writer, config, start);
    case "json":
      if (!start.atObjectStart)
        throw new ContractError("a JSON document is read whole: it has no parts", { format: "json" });
      return jsonParser(contract, format, writer, config);
  }
}

/** Where a part's text starts; the whole object's start without a part. */
function textStartOf(part: ObjectPart | undefined): TextStart {
  if (part === undefined) return OBJECT_START;
  return {
    firstLine: part.firstLine,
    atObjectStart: part.start === 0,
    ...(part.header ? { header: part.header } : {}),
  };
}

/**
 * Streams the content of `params` (the whole object, or `params.part`'s byte range or row groups)
 * through the staging pipeline into the rows and rejects objects at `keys`: gunzipped when it is
 * gzip (only at the object's start: a part past it is never sniffed, its first bytes are data),
 * checked strict UTF-8, parsed, each record validated. Lines are the whole object's: a part's
 * count from its `firstLine`, and a CSV part after the first is read by the object's header.
 *
 * Content that can never load comes back as `quarantine` (its outputs abandoned); store failures
 * throw, so the message is retried. Memory stays bounded: every stage streams with backpressure.
 */
export async function stageContent(
  params: StageParams,
  deps: StageDeps,
  keys: StagingKeys,
): Promise<StagedContent> {
  const { event, contract, part } = params;
  const { object } = event.data;
  const config = resolveStagingConfig(deps.config);
  const format = params.format ?? contract.format;
  const start = textStartOf(part);
  const writer = new StagingWriter(contract, compileRowValidator(contract), config);
  const read = params.lineColumn ? withSourceLines(contract, params.lineColumn, writer) : undefined;
  const parser =
    format.type === "parquet"
      ? undefined
      : recordParserFor(read?.contract ?? contract, format, read?.sink ?? writer, config, start);
  const result = () => ({
    counts: { rows: writer.counts.staged + writer.counts.rejected, ...writer.counts },
    firstRejections: writer.firstRejections,
  });

  // Both outputs upload while rows are parsed. If the store fails, parsing stops: an upload that
  // no longer reads its stream would otherwise stall the pipeline on backpressure forever.
  const stopParsing = new AbortController();
  let uploadError: unknown;
  let abandoned = false;
  const upload = writer.upload(deps.store, deps.stagingBucket, keys);
  upload.catch((error: unknown) => {
    if (abandoned) return;
    uploadError ??= error;
    stopParsing.abort(error);
  });

  try {
    if (parser === undefined) {
      params.body?.destroy();
      const bytes = params.bytes ?? objectBytesFromStore(deps.store, object);
      await stageParquetRows(contract, bytes, writer, config, stopParsing.signal, part?.rowGroups);
    } else {
      const version = object.versionId ? { versionId: object.versionId } : {};
      const range = part ? { range: { start: part.start, end: part.end - 1 } } : {};
      const body = params.body ?? (await deps.store.get(object.bucket, object.key, { ...version, ...range }));
      await pipeline(
        body,
        ...((start.atObjectStart ? [decompressWithLimits(config)] : []) as [never]),
        validateUtf8From(part?.start ?? 0),
        async function* waitForOutputs(source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            if (writer.saturated) await writer.drained();
            yield chunk;
          }
        },
        ...(parser.stages as [never]),
        { signal: stopParsing.signal },
      );
    }
    writer.end();
    return { ...result(), rows: await upload };
  } catch (caught) {
    const error = parser ? parser.explain(caught) : caught;
    // From here on an upload failing is our doing, not the store's.
    abandoned = true;
    writer.abort(error instanceof Error ? error : new Error(String(error)));
    await upload.catch(() => undefined);
    if (uploadError !== undefined) throw uploadError;
    if (!(error instanceof QuarantineError)) throw error;
    return { ...result(), quarantine: error };
  }
}
