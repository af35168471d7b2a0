import { createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { PassThrough, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { DatasetContract, FormatSpec, ObjectRef, ObjectStore } from "@sluice/core";

/** The format the legacy program's output is read in: CSV with a header line. */
export const LEGACY_OUTPUT_FORMAT: FormatSpec = { type: "csv", delimiter: ",", quote: '"', header: true };

/** Passes bytes through, gunzipping them when the first two are the gzip magic (gzip by content). */
function gunzipIfGzip(): Transform {
  let decided: Transform | PassThrough | undefined;
  let head = Buffer.alloc(0);
  const out = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (decided) {
        decided.write(chunk) ? done() : decided.once("drain", done);
        return;
      }
      head = Buffer.concat([head, chunk]);
      if (head.length < 2) return done();
      decided = head[0] === 0x1f && head[1] === 0x8b ? createGunzip() : new PassThrough();
      decided.on("data", (data: Buffer) => out.push(data));
      decided.on("error", (error) => out.destroy(error));
      decided.write(head, () => done());
    },
    flush(done) {
      if (!decided) {
        if (head.length > 0) out.push(head);
        return done();
      }
      decided.once("end", () => done());
      decided.end();
    },
  });
  return out;
}

/** Reads the first line of a file (up to `limit` bytes), or `undefined` when the file is empty or missing. */
async function firstLineOf(path: string, limit = 64 * 1024): Promise<string | undefined> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, "r");
    const buffer = Buffer.alloc(limit);
    const { bytesRead } = await handle.read(buffer, 0, limit, 0);
    if (bytesRead === 0) return undefined;
    const text = buffer.subarray(0, bytesRead).toString("utf8");
    const end = text.indexOf("\n");
    return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, "");
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** Column names of a CSV header line (quotes removed; names never contain commas). */
function headerNames(line: string): string[] {
  return line.split(",").map((name) => name.trim().replace(/^"(.*)"$/, "$1"));
}

/** The contract the legacy output is validated with: same fields, read by name from the CSV header. */
export function contractForOutput(contract: DatasetContract): DatasetContract {
  return {
    ...contract,
    format: LEGACY_OUTPUT_FORMAT,
    fields: contract.fields.map(({ source: _source, ...field }) => field),
  };
}

/**
 * Streams the object (the version `object` names) from the store into `path`, gunzipped when
 * its content is gzip, for the legacy program to read.
 */
export async function downloadInput(store: ObjectStore, object: ObjectRef, path: string): Promise<void> {
  const options = object.versionId ? { versionId: object.versionId } : undefined;
  const body = await store.get(object.bucket, object.key, options);
  await pipeline(body, gunzipIfGzip(), createWriteStream(path));
}

/**
 * What is wrong with the program's output at `path`, or `undefined` when its header names every
 * contract field: `wrote no output`, or `wrote output whose header lacks …`.
 */
export async function outputHeaderProblem(
  path: string,
  contract: DatasetContract,
): Promise<string | undefined> {
  const header = await firstLineOf(path);
  if (header === undefined) return "wrote no output";
  const names = headerNames(header);
  const missing = contract.fields.map((f) => f.name).filter((n) => !names.includes(n));
  if (missing.length === 0) return undefined;
  return `wrote output whose header lacks ${missing.join(", ")} (header: ${header.slice(0, 200)})`;
}
