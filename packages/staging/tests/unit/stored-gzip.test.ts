import { execFileSync } from "node:child_process";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { gunzipSync } from "node:zlib";
import { StoredGzip } from "../../src/stored-gzip";

/** What StoredGzip makes of `chunks`, written one by one. */
function storedGzip(chunks: (Buffer | string)[]): Promise<Buffer> {
  return buffer(Readable.from(chunks, { objectMode: false }).pipe(new StoredGzip()));
}

describe("StoredGzip", () => {
  it.each([
    ["nothing", []],
    ["an empty chunk", [0]],
    ["one byte", [1]],
    ["one full stored block", [65535]],
    ["one byte over a block", [65536]],
    ["chunks across block edges", [200_000, 3, 70_000, 65535]],
    ["4 MiB", [4 * 1024 * 1024]],
  ])("writes a gzip member that gunzip reads back: %s", async (_name, sizes) => {
    // prepare: bytes that differ from chunk to chunk and within one
    const chunks = sizes.map((size, i) => {
      const chunk = Buffer.alloc(size);
      for (let j = 0; j < size; j++) chunk[j] = (i * 31 + j) % 251;
      return chunk;
    });

    // act
    const gzip = await storedGzip(chunks);

    // assert: zlib checks the CRC-32 and the size in the trailer
    expect(gunzipSync(gzip).equals(Buffer.concat(chunks))).toBe(true);
    // stored, not deflated: a 10-byte header, 5 bytes per block of up to 64 KiB, the final block and the trailer
    const blocks = sizes.reduce((sum, size) => sum + Math.ceil(size / 65535), 0);
    expect(gzip.length).toBe(10 + sizes.reduce((sum, size) => sum + size, 0) + 5 * blocks + 5 + 8);
  });

  it("takes strings as UTF-8, and the gzip program reads what it writes", async () => {
    // prepare: multi-byte characters, one of them across a block edge
    const text = [`${"x".repeat(65534)}é☕`, 'naïve,"two\nlines"\r\n', "🎉".repeat(20_000)];

    // act
    const gzip = await storedGzip(text);

    // assert
    const viaProgram = execFileSync("gzip", ["-dc"], { input: gzip });
    expect(viaProgram.toString("utf8")).toBe(text.join(""));
  });

  it("fails gunzip when a byte of the body changes (the CRC-32 covers it)", async () => {
    // prepare
    const gzip = await storedGzip(["order_id,amount\n1,2.50\n"]);
    gzip[20] = gzip[20]! ^ 1;

    // act + assert
    expect(() => gunzipSync(gzip)).toThrow(/incorrect data check/);
  });
});
