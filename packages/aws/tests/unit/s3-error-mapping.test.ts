import {
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import { ConfigError, RetryableError } from "@sluice/core";
import { mockClient } from "aws-sdk-client-mock";
import "aws-sdk-client-mock-jest";
import { isRetryableAwsError, ObjectNotFoundError, rangeHeaderOf, S3ObjectStore } from "../../src";

function serviceError(name: string, httpStatusCode: number, fault: "client" | "server" = "client") {
  return new S3ServiceException({ name, $fault: fault, $metadata: { httpStatusCode }, message: name });
}

function networkError(code: string): Error {
  return Object.assign(new Error(`socket hang up (${code})`), { code });
}

describe("S3ObjectStore error mapping", () => {
  const s3 = mockClient(S3Client);
  const store = new S3ObjectStore(new S3Client({ region: "eu-west-1" }));

  beforeEach(() => s3.reset());

  it("asks S3 for the given version and byte range", async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "gone", $metadata: { httpStatusCode: 404 } }));

    await store
      .get("raw", "a.csv", { versionId: "v7", range: { start: 10, end: 19 } })
      .catch(() => undefined);

    expect(s3).toHaveReceivedCommandWith(GetObjectCommand, {
      Bucket: "raw",
      Key: "a.csv",
      VersionId: "v7",
      Range: "bytes=10-19",
    });
  });

  it("turns NoSuchKey on get into an ObjectNotFoundError naming object and version", async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: "gone", $metadata: { httpStatusCode: 404 } }));

    const error = await store.get("raw", "a.csv", { versionId: "v7" }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ObjectNotFoundError);
    expect(error).toMatchObject({
      code: "not-found",
      disposition: "quarantine",
      context: { bucket: "raw", key: "a.csv", versionId: "v7" },
    });
  });

  it.each([
    ["SlowDown 503", serviceError("SlowDown", 503, "server")],
    ["InternalError 500", serviceError("InternalError", 500, "server")],
    ["throttling 429", serviceError("TooManyRequests", 429)],
    ["connection reset", networkError("ECONNRESET")],
    ["DNS failure", networkError("EAI_AGAIN")],
    ["timeout", Object.assign(new Error("timed out"), { name: "TimeoutError" })],
  ])("turns %s on get into a RetryableError that keeps the cause", async (_, cause) => {
    s3.on(GetObjectCommand).rejects(cause);

    const error = await store.get("raw", "a.csv").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(RetryableError);
    expect((error as RetryableError).cause).toBe(cause);
    expect((error as RetryableError).context).toMatchObject({ operation: "S3 GetObject", key: "a.csv" });
  });

  it("rethrows AccessDenied unchanged: a permission is not fixed by retrying", async () => {
    const denied = serviceError("AccessDenied", 403);
    s3.on(GetObjectCommand).rejects(denied);

    const error = await store.get("raw", "a.csv").catch((e: unknown) => e);

    expect(error).toBe(denied);
  });

  it("does not report a missing bucket as a missing object", async () => {
    const noBucket = serviceError("NoSuchBucket", 404);
    s3.on(GetObjectCommand).rejects(noBucket);

    const error = await store.get("nope", "a.csv").catch((e: unknown) => e);

    expect(error).toBe(noBucket);
  });

  it("answers undefined on head when S3 says NotFound, and retries on 503", async () => {
    s3.on(HeadObjectCommand, { Key: "missing.csv" })
      .rejects(new NotFound({ message: "", $metadata: { httpStatusCode: 404 } }))
      .on(HeadObjectCommand, { Key: "busy.csv" })
      .rejects(serviceError("ServiceUnavailable", 503, "server"));

    const missing = await store.head("raw", "missing.csv");
    const busy = await store.head("raw", "busy.csv").catch((e: unknown) => e);

    expect(missing).toBeUndefined();
    expect(busy).toBeInstanceOf(RetryableError);
  });

  it("maps head fields, stripping the quotes S3 puts around entity tags", async () => {
    const lastModified = new Date("2026-11-02T10:00:00Z");
    s3.on(HeadObjectCommand).resolves({
      ContentLength: 1234,
      ETag: '"0123abcd"',
      VersionId: "v3",
      LastModified: lastModified,
      ContentType: "text/csv",
      ContentEncoding: "gzip",
      Metadata: {},
    });

    const head = await store.head("raw", "orders/a.csv");

    expect(head).toEqual({
      bucket: "raw",
      key: "orders/a.csv",
      size: 1234,
      eTag: "0123abcd",
      versionId: "v3",
      lastModified,
      contentType: "text/csv",
      contentEncoding: "gzip",
    });
  });

  it("turns a throttled list page into a RetryableError", async () => {
    s3.on(ListObjectsV2Command).rejects(serviceError("SlowDown", 503, "server"));

    const consume = async () => {
      for await (const _ of store.list("raw", "orders/")) {
        /* drain */
      }
    };

    await expect(consume()).rejects.toBeInstanceOf(RetryableError);
  });

  it("refuses a part size S3 would reject, at construction", () => {
    expect(() => new S3ObjectStore(new S3Client({}), { partSize: 1024 })).toThrow(ConfigError);
  });
});

describe("isRetryableAwsError", () => {
  it.each([
    [serviceError("SlowDown", 503, "server"), true],
    [serviceError("Throttling", 400), true],
    [serviceError("Whatever", 502, "server"), true],
    [networkError("ETIMEDOUT"), true],
    [new Error("wrapper", { cause: networkError("ECONNREFUSED") }), true],
    [serviceError("AccessDenied", 403), false],
    [serviceError("NoSuchKey", 404), false],
    [Object.assign(new Error("aborted"), { name: "AbortError" }), false],
    [new Error("plain bug"), false],
    ["not even an error", false],
  ])("classifies %p as retryable=%p", (error, expected) => {
    expect(isRetryableAwsError(error)).toBe(expected);
  });
});

describe("rangeHeaderOf", () => {
  it("writes inclusive and open-ended HTTP ranges", () => {
    expect(rangeHeaderOf({ start: 0, end: 99 })).toBe("bytes=0-99");
    expect(rangeHeaderOf({ start: 500 })).toBe("bytes=500-");
  });

  it("refuses a range whose end is before its start", () => {
    expect(() => rangeHeaderOf({ start: 10, end: 9 })).toThrow(RangeError);
  });
});
