import { gzipSync } from "node:zlib";
import { resolveStagingConfig } from "../../src/config";
import { lines, ordersContract, quarantineOf, STAGING_BUCKET, stage } from "../../src/testing/fixtures";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";
const MIB = 1024 * 1024;

/** `members` gzip members of `memberBytes` blank lines each, after a CSV header: a gzip bomb. */
function gzipBomb(members: number, memberBytes: number): Buffer {
  const member = gzipSync(Buffer.alloc(memberBytes, "\n"), { level: 9 });
  return Buffer.concat([gzipSync(lines("\n", HEADER)), ...new Array<Buffer>(members).fill(member)]);
}

describe("decompression limits", () => {
  it("quarantines a gzip bomb that would expand to 4 GiB, stopping just past the ratio limit", async () => {
    // prepare: 256 members of 16 MiB of line breaks, about 4 MB compressed
    const bomb = gzipBomb(256, 16 * MIB);

    const floor = 2 * MIB;

    // act
    const result = await stage(ordersContract(), bomb, {
      chunkSize: 64 * 1024,
      config: { decompressionRatioFloorBytes: floor },
    });

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe("decompression-limit");
    expect(quarantine.message).toContain("maxDecompressionRatio (200:1)");
    const expanded = Number(/: (\d+) bytes from/.exec(quarantine.message)![1]);
    expect(expanded).toBeGreaterThan(floor);
    expect(expanded).toBeLessThan(floor + MIB);
    expect(result.deps.store.keys(STAGING_BUCKET)).not.toContain(result.keys.manifestKey);
  });

  it("quarantines gzip content past maxDecompressedBytes whatever its ratio", async () => {
    // prepare: 3 MiB of ordinary rows, which compress about 20:1
    const row = (id: number) => `${id},10,paid,${id % 1000}.25,EUR,2026-11-27T10:00:00Z,note ${id * 7919}`;
    const rows = Array.from({ length: 60_000 }, (_, i) => row(i + 1));
    const content = gzipSync(lines("\n", HEADER, ...rows));

    // act
    const limited = await stage(ordersContract(), content, { config: { maxDecompressedBytes: MIB } });
    const unlimited = await stage(ordersContract(), content);

    // assert
    const quarantine = quarantineOf(limited);
    expect(quarantine.reason).toBe("decompression-limit");
    expect(quarantine.message).toContain("maxDecompressedBytes (1048576 bytes)");
    expect(unlimited.outcome.status).toBe("staged");
  });

  it("leaves a small file of blanks alone, however well it compresses", async () => {
    // prepare: 1 MiB of blank lines compresses over 500:1, under the ratio's floor
    const content = gzipSync(`${HEADER}\n${"\n".repeat(MIB)}1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,\n`);

    // act
    const result = await stage(ordersContract(), content);

    // assert
    expect(result.outcome.status).toBe("staged");
    expect(result.rows()).toBe(`${MIB + 2},1,10,paid,1.00,EUR,2026-11-27T10:00:00.000Z,\n`);
  });

  it("takes the limits from the environment, under explicit overrides", () => {
    // act
    const fromEnv = resolveStagingConfig(
      {},
      {
        SLUICE_MAX_DECOMPRESSED_BYTES: "1000",
        SLUICE_MAX_DECOMPRESSION_RATIO: "7",
        SLUICE_MAX_JSON_DEPTH: "9",
      },
    );
    const overridden = resolveStagingConfig({ maxJsonDepth: 3 }, { SLUICE_MAX_JSON_DEPTH: "9" });

    // assert
    expect(fromEnv).toMatchObject({ maxDecompressedBytes: 1000, maxDecompressionRatio: 7, maxJsonDepth: 9 });
    expect(overridden.maxJsonDepth).toBe(3);
    expect(() => resolveStagingConfig({}, { SLUICE_MAX_JSON_DEPTH: "deep" })).toThrow(
      /SLUICE_MAX_JSON_DEPTH/,
    );
  });

  it("takes the staged rows' gzip level from the environment, 0 included, and refuses one past 9", () => {
    // act
    const stored = resolveStagingConfig({}, { SLUICE_STAGING_GZIP_LEVEL: "0" });
    const unset = resolveStagingConfig({}, {});

    // assert
    expect(stored.gzipLevel).toBe(0);
    expect(unset.gzipLevel).toBe(1);
    expect(() => resolveStagingConfig({}, { SLUICE_STAGING_GZIP_LEVEL: "10" })).toThrow(
      /SLUICE_STAGING_GZIP_LEVEL=10 is not an integer from 0 to 9/,
    );
  });
});

describe("CSV header", () => {
  it("quarantines a header that names a column twice, naming it, instead of reading one of them", async () => {
    // prepare
    const csv = lines(
      "\n",
      "order_id,customer_id,status,amount,currency,ordered_at,note,status",
      "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,,new",
    );

    // act
    const result = await stage(ordersContract(), csv);

    // assert
    const quarantine = quarantineOf(result);
    expect(quarantine.reason).toBe("duplicate-column");
    expect(quarantine.message).toContain("CSV header names column status more than once");
    expect(result.manifest()).toBeUndefined();
  });
});
