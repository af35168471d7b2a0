import { createHash } from "node:crypto";
import { appendFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { hasCode, type ObjectHead, parseS3Notification } from "@sluice/core";
import type { S3Event } from "aws-lambda";
import { LocalObjectStore } from "../../src";
import { readAll, tempDir } from "../helpers";

/** The module object itself (a namespace import is a copy under Jest's CommonJS): spies on it reach the code under test. */
const fsp: typeof import("node:fs/promises") = require("node:fs/promises");

const TRICKY_KEYS = [
  "orders/2026/jan feb.csv",
  "orders/a+b=c.csv",
  "orders/100% done.csv",
  "orders/%2B literally.csv",
  "orders/café/naïve 日本.csv",
  "orders/emoji 🚀.csv",
  "orders/../escape.csv",
  "orders//double slash.csv",
  "top-level.csv",
];

async function listKeys(store: LocalObjectStore, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const head of store.list(bucket, prefix)) keys.push(head.key);
  return keys;
}

describe("LocalObjectStore", () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let store: LocalObjectStore;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    store = new LocalObjectStore({ rootDir: dir });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await cleanup();
  });

  it("round-trips bytes and metadata for keys with spaces, plus, percent, unicode and slashes", async () => {
    for (const key of TRICKY_KEYS) {
      await store.put("raw", key, `content of ${key}`, {
        contentType: "text/csv",
        metadata: { origin: "test" },
      });
    }

    for (const key of TRICKY_KEYS) {
      expect((await readAll(await store.get("raw", key))).toString()).toBe(`content of ${key}`);
      const head = await store.head("raw", key);
      expect(head).toMatchObject({
        bucket: "raw",
        key,
        contentType: "text/csv",
        metadata: { origin: "test" },
      });
    }
    expect(await listKeys(store, "raw", "")).toEqual(
      [...TRICKY_KEYS].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it("keeps every file inside the bucket directory, whatever the key", async () => {
    await store.put("raw", "../../outside.csv", "x");

    expect(await readdir(dir)).toEqual(["raw"]);
    expect(await listKeys(store, "raw", "")).toEqual(["../../outside.csv"]);
  });

  it("reports size and the MD5 hex of the content as eTag", async () => {
    const body = Buffer.from("id,amount\n1,2.50\n");

    const result = await store.put("raw", "a.csv", body);

    const md5 = createHash("md5").update(body).digest("hex");
    expect(result.eTag).toBe(md5);
    expect(await store.head("raw", "a.csv")).toMatchObject({ size: body.length, eTag: md5 });
  });

  it("streams a put from a Readable and reads byte ranges like S3", async () => {
    await store.put("raw", "big.bin", Readable.from([Buffer.from("0123456789"), Buffer.from("abcdef")]));

    expect(
      (await readAll(await store.get("raw", "big.bin", { range: { start: 2, end: 5 } }))).toString(),
    ).toBe("2345");
    expect((await readAll(await store.get("raw", "big.bin", { range: { start: 10 } }))).toString()).toBe(
      "abcdef",
    );
    expect(
      (await readAll(await store.get("raw", "big.bin", { range: { start: 14, end: 99 } }))).toString(),
    ).toBe("ef");
    await expect(store.get("raw", "big.bin", { range: { start: 16 } })).rejects.toThrow(RangeError);
  });

  it("lets a key and a key below it as a folder coexist", async () => {
    await store.put("raw", "a", "file a");
    await store.put("raw", "a/b", "file a/b");
    await store.put("raw", "a/", "");

    expect((await readAll(await store.get("raw", "a"))).toString()).toBe("file a");
    expect((await readAll(await store.get("raw", "a/b"))).toString()).toBe("file a/b");
    expect(await listKeys(store, "raw", "a")).toEqual(["a", "a/", "a/b"]);
  });

  it("lists by prefix in key order, including prefixes that end inside a segment", async () => {
    for (const key of [
      "orders/2026/02.csv",
      "orders/2026/01.csv",
      "orders/2025/12.csv",
      "ordersx.csv",
      "ledger/1.txt",
    ]) {
      await store.put("raw", key, key);
    }

    expect(await listKeys(store, "raw", "orders/")).toEqual([
      "orders/2025/12.csv",
      "orders/2026/01.csv",
      "orders/2026/02.csv",
    ]);
    expect(await listKeys(store, "raw", "orders/2026/0")).toEqual([
      "orders/2026/01.csv",
      "orders/2026/02.csv",
    ]);
    expect(await listKeys(store, "raw", "order")).toHaveLength(4);
    expect(await listKeys(store, "raw", "nothing/")).toEqual([]);
    expect(await listKeys(store, "empty-bucket", "")).toEqual([]);
  });

  it("replaces an object whole on overwrite and leaves no old body behind", async () => {
    await store.put("raw", "k.csv", "old");

    await store.put("raw", "k.csv", "new content");

    expect((await readAll(await store.get("raw", "k.csv"))).toString()).toBe("new content");
    expect((await readdir(`${dir}/raw`)).filter((n) => n.endsWith(".obj"))).toHaveLength(1);
  });

  it("keeps serving the complete old object to a reader that opened it before an overwrite", async () => {
    await store.put("raw", "k.csv", "A".repeat(100_000));
    const reading = await store.get("raw", "k.csv");

    await store.put("raw", "k.csv", "B".repeat(10));

    expect((await readAll(reading)).toString()).toBe("A".repeat(100_000));
  });

  it("rejects a get of a missing object with the not-found code, and head says undefined", async () => {
    const error = await store.get("raw", "missing.csv").catch((e: unknown) => e);
    expect(hasCode(error, "not-found")).toBe(true);
    expect(await store.head("raw", "missing.csv")).toBeUndefined();
  });

  it("leaves no object when the body stream fails mid-way", async () => {
    const failing = new Readable({
      read() {
        this.push("partial");
        this.destroy(new Error("network dropped"));
      },
    });

    await expect(store.put("raw", "broken.csv", failing)).rejects.toThrow("network dropped");

    expect(await store.head("raw", "broken.csv")).toBeUndefined();
    expect(await readdir(`${dir}/raw/.tmp`)).toEqual([]);
  });

  it("stores a file as put stores its bytes (putFile): same bytes, eTag, notification, and a replaced object", async () => {
    const sent: S3Event[] = [];
    store.onObjectCreated("raw", async (notification) => {
      sent.push(notification);
    });
    const bytes = Buffer.concat(Array.from({ length: 40 }, (_, i) => Buffer.alloc(64 * 1024 + i, i)));
    const file = join(dir, "source.bin");
    await writeFile(file, bytes);

    await store.put("raw", "orders/f.bin", "an older object");
    const put = await store.putFile("raw", "orders/f.bin", file, { contentType: "text/csv" });

    expect(put.eTag).toBe(createHash("md5").update(bytes).digest("hex"));
    expect((await readAll(await store.get("raw", "orders/f.bin"))).equals(bytes)).toBe(true);
    expect(await store.head("raw", "orders/f.bin")).toMatchObject({
      size: bytes.length,
      eTag: put.eTag,
      contentType: "text/csv",
    });
    expect(sent.map((n) => n.Records[0]!.s3.object.eTag)).toEqual([expect.any(String), put.eTag]);
    expect(await readdir(`${dir}/raw/.tmp`)).toEqual([]);
  });

  it("refuses a file that changes while putFile stores it, and keeps the object it had", async () => {
    const file = join(dir, "growing.csv");
    await writeFile(file, "id\n1\n");
    await store.put("raw", "orders/g.csv", "id\n0\n");
    const realStat = fsp.stat;
    let calls = 0;
    jest.spyOn(fsp, "stat").mockImplementation(async (...args: Parameters<typeof fsp.stat>) => {
      // The second look (after the copy) finds the file written to meanwhile.
      if (++calls === 2) await appendFile(file, "2\n");
      return realStat(...args);
    });

    await expect(store.putFile("raw", "orders/g.csv", file)).rejects.toThrow(
      "changed while it was being stored",
    );

    expect((await readAll(await store.get("raw", "orders/g.csv"))).toString()).toBe("id\n0\n");
    expect(await readdir(`${dir}/raw/.tmp`)).toEqual([]);
  });

  it("gives objects in a versioned bucket a version id, and a get of another version is not found", async () => {
    const versioned = new LocalObjectStore({ rootDir: dir, versionedBuckets: ["raw"] });

    const first = await versioned.put("raw", "v.csv", "1");
    const second = await versioned.put("raw", "v.csv", "2");

    expect(first.versionId).toBeDefined();
    expect(second.versionId).not.toBe(first.versionId);
    expect(
      (await readAll(await versioned.get("raw", "v.csv", { versionId: second.versionId! }))).toString(),
    ).toBe("2");
    const error = await versioned
      .get("raw", "v.csv", { versionId: first.versionId! })
      .catch((e: unknown) => e);
    expect(hasCode(error, "not-found")).toBe(true);
  });

  describe("event notifications", () => {
    it("sends the S3 ObjectCreated:Put notification with the key URL-encoded as S3 does", async () => {
      const sent: S3Event[] = [];
      store.onObjectCreated("raw", async (notification) => {
        sent.push(notification);
      });
      const key = "orders/jan feb+x%y/café.csv";

      const result = await store.put("raw", key, "id\n1\n");

      expect(sent).toHaveLength(1);
      const record = sent[0]!.Records[0]!;
      expect(record).toMatchObject({
        eventVersion: "2.1",
        eventSource: "aws:s3",
        eventName: "ObjectCreated:Put",
        s3: {
          s3SchemaVersion: "1.0",
          bucket: { name: "raw", arn: "arn:aws:s3:::raw" },
          object: { key: "orders/jan+feb%2Bx%25y/caf%C3%A9.csv", size: 5, eTag: result.eTag },
        },
      });
      expect(record.s3.object.versionId).toBeUndefined();
      const [parsed] = parseS3Notification(JSON.parse(JSON.stringify(sent[0])));
      expect(parsed!.object).toMatchObject({ bucket: "raw", key, size: 5, eTag: result.eTag });
    });

    it("renotifies a stored object without rewriting it, with the same eTag and a newer sequencer", async () => {
      const sent: S3Event[] = [];
      store.onObjectCreated("raw", async (n) => {
        sent.push(n);
      });
      const { eTag } = await store.put("raw", "orders/a b.csv", "x");

      expect(await store.renotify("raw", "orders/a b.csv")).toBe(true);
      expect(await store.renotify("raw", "orders/missing.csv")).toBe(false);

      const [first, second] = sent.map((n) => n.Records[0]!.s3.object);
      expect(second).toMatchObject({ key: "orders/a+b.csv", eTag, size: 1 });
      expect(second!.sequencer > first!.sequencer).toBe(true);
    });

    it("orders notifications of one key by an increasing sequencer", async () => {
      const sequencers: string[] = [];
      store.onObjectCreated("raw", async (n) => {
        sequencers.push(n.Records[0]!.s3.object.sequencer);
      });

      for (let i = 0; i < 5; i++) await store.put("raw", "same.csv", String(i));

      const sorted = [...sequencers].sort((a, b) => a.length - b.length || a.localeCompare(b));
      expect(new Set(sequencers).size).toBe(5);
      expect(sequencers).toEqual(sorted);
    });

    it("notifies only for buckets that have notifications configured", async () => {
      const sent: string[] = [];
      store.onObjectCreated("raw", async (n) => {
        sent.push(n.Records[0]!.s3.bucket.name);
      });

      await store.put("staging", "s.csv.gz", "x");
      await store.put("raw", "r.csv", "x");

      expect(sent).toEqual(["raw"]);
    });

    it("rejects the put when the notification cannot be handed on, so the writer retries", async () => {
      store.onObjectCreated("raw", async () => {
        throw new Error("queue unavailable");
      });

      await expect(store.put("raw", "r.csv", "x")).rejects.toThrow("queue unavailable");
    });
  });

  it("lists heads with size and lastModified", async () => {
    await store.put("raw", "x/1.csv", "abc");

    const heads: ObjectHead[] = [];
    for await (const head of store.list("raw", "x/")) heads.push(head);

    expect(heads).toHaveLength(1);
    expect(heads[0]).toMatchObject({ key: "x/1.csv", size: 3 });
    expect(heads[0]!.lastModified).toBeInstanceOf(Date);
  });
});
