import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchBundle, bundle, extractZip, median, reportBundles } from "../../src";

const FIXTURES = join(__dirname, "..", "fixtures");

describe("bundle bench", () => {
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), "sluice-bench-test-"));
  });

  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it("extracts a zip to exactly the files that were zipped", async () => {
    const built = await bundle({ entry: join(FIXTURES, "handler.ts"), name: "fn", outdir, contracts: true });
    const target = join(outdir, "extracted");

    await extractZip(built.zip!, target);

    expect(readFileSync(join(target, "index.mjs")).equals(readFileSync(built.file))).toBe(true);
    expect(readFileSync(join(target, "contracts", "orders.json"), "utf8")).toContain('"name": "orders"');
  });

  it("times the cold import of a zipped handler that reads its configuration at load", async () => {
    const built = await bundle({ entry: join(FIXTURES, "needs-config.ts"), name: "cfg", outdir });

    const bench = await benchBundle(built.zip!, 2);

    expect(bench.error).toBeUndefined();
    expect(bench.importMs).toHaveLength(2);
    expect(bench.medianMs).toBeGreaterThan(0);
    expect(bench.moduleBytes).toBe(built.bytes);
    expect(bench.zipBytes).toBe(built.zipBytes);
  });

  it("reports a bundle whose import fails with its error, and exits 1", async () => {
    const failing = await bundle({ entry: join(FIXTURES, "fails-on-load.ts"), name: "failing", outdir });
    const lines: string[] = [];

    const code = await reportBundles([failing.zip!], { runs: 3, out: (line) => lines.push(line) });

    expect(code).toBe(1);
    expect(lines.join("\n")).toContain("import FAILED");
    expect(lines.join("\n")).toContain("cannot load: missing dependency");
  });

  it("takes the median of an even and an odd count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
