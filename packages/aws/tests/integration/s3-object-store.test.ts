import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { text } from "node:stream/consumers";
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { hasCode, type ObjectHead } from "@sluice/core";
import { MIN_PART_SIZE, ObjectNotFoundError, S3ObjectStore } from "../../src";
import { type LocalS3, startLocalS3 } from "./s3rver";

const BUCKET = "raw";

/** A deterministic pseudo-random body, so every part of a multipart upload differs. */
function bodyOf(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let state = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Streams `buffer` in small chunks, as a transform's output stream would arrive. */
function chunked(buffer: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let offset = 0; offset < buffer.length; offset += chunkSize)
        yield buffer.subarray(offset, offset + chunkSize);
    })(),
  );
}

async function bytesOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Records the name of every command `client` sends until `stop()`. */
function recordCommands(client: S3Client): { sent: string[]; stop(): void } {
  const sent: string[] = [];
  const name = "sluice-test-record-commands";
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? "?");
      return next(args);
    },
    { step: "initialize", name },
  );
  return { sent, stop: () => client.middlewareStack.remove(name) };
}

const sha256 = (buffer: Buffer) => createHash("sha256").update(buffer).digest("hex");

describe("S3ObjectStore against a local S3-API server (s3rver)", () => {
  let s3: LocalS3;
  let store: S3ObjectStore;

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
    store = new S3ObjectStore(s3.client, { partSize: MIN_PART_SIZE, queueSize: 2, listPageSize: 2 });
  });

  afterAll(async () => {
    await s3.stop();
  });

  it("puts a string and gets the same bytes back, with content type and metadata on head", async () => {
    const put = await store.put(BUCKET, "small/hello.csv", "id,name\n1,Ada\n", {
      contentType: "text/csv",
      metadata: { "sluice-run": "r-1" },
    });

    const body = await text(await store.get(BUCKET, "small/hello.csv"));
    const head = await store.head(BUCKET, "small/hello.csv");

    expect(body).toBe("id,name\n1,Ada\n");
    expect(put.eTag).toMatch(/^[0-9a-f]{32}$/);
    expect(head).toMatchObject({
      bucket: BUCKET,
      key: "small/hello.csv",
      size: 14,
      eTag: put.eTag,
      contentType: "text/csv",
      metadata: { "sluice-run": "r-1" },
    });
    expect(head?.lastModified).toBeInstanceOf(Date);
  });

  it("streams a body larger than one part through a multipart upload, byte for byte", async () => {
    const original = bodyOf(MIN_PART_SIZE * 2 + 123_457);
    const recorder = recordCommands(s3.client);

    await store.put(BUCKET, "big/multipart.bin", chunked(original));
    const roundTrip = await bytesOf(await store.get(BUCKET, "big/multipart.bin"));
    recorder.stop();

    expect(recorder.sent).toEqual([
      "CreateMultipartUploadCommand",
      "UploadPartCommand",
      "UploadPartCommand",
      "UploadPartCommand",
      "CompleteMultipartUploadCommand",
      "GetObjectCommand",
    ]);
    expect(roundTrip.length).toBe(original.length);
    expect(sha256(roundTrip)).toBe(sha256(original));
    expect((await store.head(BUCKET, "big/multipart.bin"))?.size).toBe(original.length);
  });

  it("leaves no object behind when the body stream fails part-way through a multipart upload", async () => {
    const part = bodyOf(MIN_PART_SIZE);
    const failing = Readable.from(
      (async function* () {
        yield part;
        yield part.subarray(0, 1024);
        throw new Error("source stream broke");
      })(),
    );

    const outcome = store.put(BUCKET, "big/broken.bin", failing);

    // s3rver answers AbortMultipartUpload with 405, which lib-storage reports instead of the
    // stream's error; real S3 aborts, so only "it failed" is asserted about the error itself.
    await expect(outcome).rejects.toThrow();
    expect(await store.head(BUCKET, "big/broken.bin")).toBeUndefined();
  });

  it("reads inclusive byte ranges, including an open-ended one", async () => {
    await store.put(BUCKET, "ranges/alphabet.txt", "abcdefghijklmnopqrstuvwxyz");

    const middle = await text(
      await store.get(BUCKET, "ranges/alphabet.txt", { range: { start: 2, end: 5 } }),
    );
    const tail = await text(await store.get(BUCKET, "ranges/alphabet.txt", { range: { start: 23 } }));
    const single = await text(
      await store.get(BUCKET, "ranges/alphabet.txt", { range: { start: 1, end: 1 } }),
    );

    expect(middle).toBe("cdef");
    expect(tail).toBe("xyz");
    expect(single).toBe("b");
  });

  it("reads a range that spans a multipart boundary", async () => {
    const original = bodyOf(MIN_PART_SIZE + 4096);
    await store.put(BUCKET, "ranges/boundary.bin", chunked(original));

    const range = { start: MIN_PART_SIZE - 10, end: MIN_PART_SIZE + 9 };
    const slice = await bytesOf(await store.get(BUCKET, "ranges/boundary.bin", { range }));

    expect(slice.equals(original.subarray(range.start, range.end + 1))).toBe(true);
  });

  it("lists every key under a prefix across several pages, in key order, and nothing else", async () => {
    const keys = ["list/a.csv", "list/b.csv", "list/c/d.csv", "list/e.csv", "list/f.csv"];
    for (const key of keys) await store.put(BUCKET, key, key);
    await store.put(BUCKET, "listing-not-this.csv", "x");
    await store.put(BUCKET, "other/list/a.csv", "x");

    const listed: ObjectHead[] = [];
    for await (const head of store.list(BUCKET, "list/")) listed.push(head);
    // The store asks for 2 keys a page; confirm the server really paginates at that size.
    const firstPage = await s3.client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: "list/", MaxKeys: 2 }),
    );

    expect(listed.map((h) => h.key)).toEqual(keys);
    expect(listed.map((h) => h.size)).toEqual(keys.map((k) => k.length));
    expect(listed.every((h) => /^[0-9a-f]{32}$/.test(h.eTag))).toBe(true);
    expect(firstPage.IsTruncated).toBe(true);
    expect(firstPage.NextContinuationToken).toBeTruthy();
  });

  it("lists nothing under a prefix no key has", async () => {
    const listed: ObjectHead[] = [];

    for await (const head of store.list(BUCKET, "nothing-here/")) listed.push(head);

    expect(listed).toEqual([]);
  });

  it("answers undefined on head of a missing key", async () => {
    const head = await store.head(BUCKET, "missing/nope.csv");

    expect(head).toBeUndefined();
  });

  it("rejects get of a missing key with a not-found error that names the object", async () => {
    const error = await store.get(BUCKET, "missing/nope.csv").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect(hasCode(error, "not-found")).toBe(true);
    expect((error as ObjectNotFoundError).disposition).toBe("quarantine");
    expect((error as Error).message).toContain("s3://raw/missing/nope.csv");
  });

  it("keeps keys with spaces, plus signs and unicode exactly as given", async () => {
    const key = "odd/Q1 report+final €.csv";
    await s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: "ok" }));

    const body = await text(await store.get(BUCKET, key));
    const listed: string[] = [];
    for await (const head of store.list(BUCKET, "odd/")) listed.push(head.key);

    expect(body).toBe("ok");
    expect(listed).toEqual([key]);
  });

  it("overwrites an object on a second put of the same key", async () => {
    await store.put(BUCKET, "rewrite/manifest.json", '{"rows":1}');

    await store.put(BUCKET, "rewrite/manifest.json", '{"rows":2}');

    expect(await text(await store.get(BUCKET, "rewrite/manifest.json"))).toBe('{"rows":2}');
  });
});
