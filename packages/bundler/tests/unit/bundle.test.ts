import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yauzl from "yauzl";
import { bundle, datasetContractsDir, ESM_BANNER, main, parseBundleArgs } from "../../src";

const FIXTURES = join(__dirname, "..", "fixtures");

interface ZipEntryInfo {
  name: string;
  mtime: string;
  mode: number;
}

function zipEntries(path: string): Promise<ZipEntryInfo[]> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error);
      const entries: ZipEntryInfo[] = [];
      zip.on("entry", (entry: yauzl.Entry) => {
        entries.push({
          name: entry.fileName,
          mtime: `${entry.lastModFileDate}/${entry.lastModFileTime}`,
          mode: (entry.externalFileAttributes >>> 16) & 0o777,
        });
        zip.readEntry();
      });
      zip.on("end", () => resolve(entries));
      zip.on("error", reject);
      zip.readEntry();
    });
  });
}

/** The contract files of `@sluice/datasets`, whatever they are. */
const shippedContracts = () =>
  readdirSync(datasetContractsDir())
    .filter((name) => name.endsWith(".json"))
    .sort();

const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** Runs `script` as an ES module in a fresh node process and parses what it prints. */
function runModule(script: string, env: Record<string, string> = {}): unknown {
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { ...process.env, ...env },
  });
  if (result.status !== 0) throw new Error(`node exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

describe("bundle", () => {
  let outdir: string;

  beforeEach(() => {
    outdir = mkdtempSync(join(tmpdir(), "sluice-bundle-"));
  });

  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it("writes one minified ES module with the require banner, the contracts beside it, and a zip", async () => {
    const result = await bundle({ entry: join(FIXTURES, "handler.ts"), name: "fn", outdir, contracts: true });

    const code = readFileSync(join(outdir, "fn", "index.mjs"), "utf8");
    expect(result.file).toBe(join(outdir, "fn", "index.mjs"));
    expect(code.startsWith(ESM_BANNER)).toBe(true);
    expect(result.bytes).toBe(Buffer.byteLength(code));
    expect(result.contracts).toEqual(shippedContracts());
    expect(result.contracts).toContain("orders.json");
    expect(existsSync(join(outdir, "fn", "contracts", "orders.json"))).toBe(true);
    expect(result.zip).toBe(join(outdir, "fn.zip"));
    expect(await zipEntries(result.zip!)).toEqual([
      ...shippedContracts().map((name) => ({
        name: `contracts/${name}`,
        mtime: expect.any(String),
        mode: 0o644,
      })),
      { name: "index.mjs", mtime: expect.any(String), mode: 0o644 },
    ]);
  });

  it("produces a bundle that runs on its own: CommonJS dependencies, __dirname and the copied contracts work", async () => {
    await bundle({ entry: join(FIXTURES, "handler.ts"), name: "fn", outdir, contracts: true });
    const file = join(outdir, "fn", "index.mjs");

    const output = runModule(
      `const { handler } = await import(${JSON.stringify(file)}); console.log(JSON.stringify(await handler()));`,
      { SLUICE_CONTRACTS_DIR: join(outdir, "fn", "contracts") },
    );

    expect(output).toEqual({
      platform: process.platform,
      dirname: join(outdir, "fn"),
      datasets: ["customers", "ledger", "orders"],
    });
  });

  it("writes a byte-identical zip on a rebuild, with one fixed timestamp on every entry", async () => {
    const first = await bundle({ entry: join(FIXTURES, "handler.ts"), name: "fn", outdir, contracts: true });
    const firstHash = sha256(first.zip!);

    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await bundle({ entry: join(FIXTURES, "handler.ts"), name: "fn", outdir, contracts: true });

    expect(sha256(second.zip!)).toBe(firstHash);
    expect(new Set((await zipEntries(second.zip!)).map((e) => e.mtime)).size).toBe(1);
  });

  it("leaves no contract of an earlier build beside an --outfile bundle", async () => {
    const outfile = join(outdir, "cli", "tool.cjs");
    mkdirSync(join(outdir, "cli", "contracts"), { recursive: true });
    writeFileSync(join(outdir, "cli", "contracts", "renamed-since.json"), "{}");

    const result = await bundle({
      entry: join(FIXTURES, "handler.ts"),
      name: "tool",
      outfile,
      contracts: true,
    });

    expect(readdirSync(join(outdir, "cli", "contracts")).sort()).toEqual(shippedContracts());
    expect(result.contracts).toEqual(shippedContracts());
  });

  it("writes a single CommonJS file and no zip in --outfile mode", async () => {
    const outfile = join(outdir, "cli", "tool.cjs");

    const result = await bundle({
      entry: join(FIXTURES, "handler.ts"),
      name: "tool",
      outdir,
      outfile,
      format: "cjs",
    });
    const loaded = spawnSync(
      process.execPath,
      ["-e", `require(${JSON.stringify(outfile)}).handler().then((r) => console.log(r.platform))`],
      { encoding: "utf8", env: { ...process.env, SLUICE_CONTRACTS_DIR: datasetContractsDir() } },
    );

    expect(result.zip).toBeUndefined();
    expect(existsSync(join(outdir, "tool.zip"))).toBe(false);
    expect(readFileSync(outfile, "utf8")).not.toContain("createRequire");
    expect(loaded.stderr).toBe("");
    expect(loaded.stdout.trim()).toBe(process.platform);
  });

  it("leaves --external packages to be loaded at run time", async () => {
    const result = await bundle({
      entry: join(FIXTURES, "optional-native.ts"),
      name: "native",
      outdir,
      external: ["pg-native"],
      zip: false,
    });

    const output = runModule(
      `const m = await import(${JSON.stringify(result.file)}); console.log(JSON.stringify(m.nativeAvailable()));`,
    );

    expect(readFileSync(result.file, "utf8")).toContain('"pg-native"');
    expect(output).toBe(false);
    expect(existsSync(join(outdir, "native.zip"))).toBe(false);
  });
});

describe("sluice-bundle arguments", () => {
  it("reads entry, name, flags and repeated externals", () => {
    const parsed = parseBundleArgs([
      "--entry",
      "src/handler.ts",
      "--name",
      "loader",
      "--contracts",
      "--no-zip",
      "--external",
      "pg-native",
      "--external",
      "@electric-sql/pglite",
    ]);

    expect(parsed).toMatchObject({
      entry: "src/handler.ts",
      name: "loader",
      contracts: true,
      zip: false,
      format: "esm",
      external: ["pg-native", "@electric-sql/pglite"],
    });
  });

  it("exits 2 with the usage when --name is missing, and 0 on --help", async () => {
    const lines: string[] = [];

    const missing = await main(["--entry", "src/handler.ts"], (line) => lines.push(line));
    const help = await main(["--help"], () => undefined);

    expect(missing).toBe(2);
    expect(lines.join("\n")).toContain("--entry and --name are required");
    expect(lines.join("\n")).toContain("Usage: sluice-bundle");
    expect(help).toBe(0);
  });

  it("refuses an unknown format", () => {
    expect(() => parseBundleArgs(["--entry", "a.ts", "--name", "a", "--format", "iife"])).toThrow(
      "--format must be esm or cjs",
    );
  });
});
