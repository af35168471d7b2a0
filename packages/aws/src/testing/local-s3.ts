import crypto from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

/**
 * s3rver 3.7 encrypts ListObjectsV2 continuation tokens with single DES (`des`), which
 * OpenSSL 3 (Node.js 17 and later) no longer ships, so its second list page fails with a 500.
 * Triple DES with the key repeated three times is the same cipher and is still built in;
 * only the algorithm name `des` (unusable otherwise) is redirected.
 */
function letS3rverMakeContinuationTokens(): void {
  const patched = Symbol.for("sluice.s3rver.des");
  const target = crypto as unknown as Record<string | symbol, unknown>;
  if (target[patched]) return;
  target[patched] = true;
  const tripled = (key: crypto.CipherKey) => Buffer.concat([key as Buffer, key as Buffer, key as Buffer]);
  const { createCipheriv, createDecipheriv } = crypto;
  target.createCipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) =>
    algorithm === "des"
      ? createCipheriv("des-ede3-cbc", tripled(key), iv)
      : createCipheriv(algorithm, key, iv);
  target.createDecipheriv = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null) =>
    algorithm === "des"
      ? createDecipheriv("des-ede3-cbc", tripled(key), iv)
      : createDecipheriv(algorithm, key, iv);
}

/** A real S3-API server on localhost, in this process, with its own temporary directory (tests only: `@sluice/aws/testing`). */
export interface LocalS3 {
  client: S3Client;
  endpoint: string;
  stop(): Promise<void>;
}

/**
 * Starts s3rver on a random localhost port with the given buckets, and an S3 client pointed
 * at it (path-style, fake credentials s3rver accepts, checksums only when required because
 * s3rver predates the SDK's default `aws-chunked` checksum trailers).
 */
export async function startLocalS3(buckets: string[]): Promise<LocalS3> {
  letS3rverMakeContinuationTokens();
  const directory = mkdtempSync(join(tmpdir(), "sluice-s3rver-"));
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address: AddressInfo = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = new S3Client({
    endpoint,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  return {
    client,
    endpoint,
    async stop() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
