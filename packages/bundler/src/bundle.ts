import { copyFile, mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { build, type Metafile } from "esbuild";
import { writeDeterministicZip } from "./zip";

/** Output module format: `esm` for Lambda (`index.mjs`), `cjs` for CLIs that must `require`. */
export type BundleFormat = "esm" | "cjs";

/** What to bundle and where. */
export interface BundleOptions {
  /** Entry file (TypeScript or JavaScript), relative to `cwd`. */
  entry: string;
  /** Function name: the bundle goes to `<outdir>/<name>/index.mjs` and `<outdir>/<name>.zip`. */
  name: string;
  /** Package directory the paths are relative to (default: the process's working directory). */
  cwd?: string;
  /** Output folder (default `dist`). */
  outdir?: string;
  /** Write exactly this file instead of `<outdir>/<name>/index.*` (no zip): CLIs, container entrypoints. */
  outfile?: string;
  /** Default `esm`. */
  format?: BundleFormat;
  /** Write the deterministic zip `<outdir>/<name>.zip` (default: true unless `outfile` is set). */
  zip?: boolean;
  /** Copy the dataset contracts (`@sluice/datasets`) to `contracts/` beside the bundle. */
  contracts?: boolean;
  /** Packages left out of the bundle and loaded at run time (e.g. `pg-native`, `@electric-sql/pglite`). */
  external?: string[];
  /** Minify (default true). */
  minify?: boolean;
  /** Write an external source map beside the bundle (default false: smaller zips). */
  sourcemap?: boolean;
  /** Node.js version targeted (default `node22`, the Lambda runtime). */
  target?: string;
}

/** What {@link bundle} wrote. */
export interface BundleResult {
  name: string;
  /** The bundled file. */
  file: string;
  bytes: number;
  /** The zip, when one was written. */
  zip?: string;
  zipBytes?: number;
  /** Contract files copied beside the bundle. */
  contracts: string[];
  /** esbuild's metafile, for size analysis. */
  metafile: Metafile;
}

/**
 * Lets CommonJS dependencies bundled into an ES module call `require` for Node built-ins, and
 * gives them `__filename`/`__dirname` (which ES modules lack) pointing at the bundle itself.
 */
export const ESM_BANNER = [
  "import { createRequire as __sluiceCreateRequire } from 'module';",
  "import { fileURLToPath as __sluiceFileURLToPath } from 'url';",
  "import { dirname as __sluiceDirname } from 'path';",
  "const require = __sluiceCreateRequire(import.meta.url);",
  "const __filename = __sluiceFileURLToPath(import.meta.url);",
  "const __dirname = __sluiceDirname(__filename);",
].join(" ");

/** The folder holding `@sluice/datasets`'s contract files. */
export function datasetContractsDir(): string {
  // The datasets package exports `./contracts/*` but not `package.json`, so resolve a known
  // export and step up from it.
  return join(dirname(require.resolve("@sluice/datasets")), "..", "contracts");
}

/**
 * Copies the contracts into a clean `target`: a contract renamed or removed since the last build
 * must not survive beside the bundle (an `--outfile` bundle's folder is not cleaned otherwise).
 */
async function copyContracts(target: string): Promise<string[]> {
  const source = datasetContractsDir();
  const names = (await readdir(source)).filter((name) => name.endsWith(".json")).sort();
  await rm(target, { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  for (const name of names) await copyFile(join(source, name), join(target, name));
  return names;
}

/**
 * Bundles one deployable with esbuild: one minified file (AWS SDK v3 and every other
 * dependency inside, except `external`), target node22, optionally the dataset contracts
 * beside it and a deterministic zip Lambda deploys with handler `index.handler`.
 */
export async function bundle(options: BundleOptions): Promise<BundleResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const format = options.format ?? "esm";
  const outdir = resolve(cwd, options.outdir ?? "dist");
  const functionDir = options.outfile ? undefined : join(outdir, options.name);
  const file = options.outfile
    ? resolve(cwd, options.outfile)
    : join(functionDir!, format === "esm" ? "index.mjs" : "index.cjs");
  const bundleDir = functionDir ?? dirname(file);

  // A clean function folder, so a file removed from the build cannot linger in the zip.
  if (functionDir) await rm(functionDir, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: cwd,
    entryPoints: [resolve(cwd, options.entry)],
    outfile: file,
    bundle: true,
    platform: "node",
    format,
    target: options.target ?? "node22",
    minify: options.minify ?? true,
    // Keep class and function names: error classes (`ConfigError`) must read right in logs.
    keepNames: true,
    sourcemap: options.sourcemap ? "external" : false,
    legalComments: "none",
    // Prefer the ES module builds (AWS SDK `dist-es`) so unused code is tree-shaken away.
    mainFields: ["module", "main"],
    conditions: ["module"],
    external: options.external ?? [],
    banner: format === "esm" ? { js: ESM_BANNER } : {},
    metafile: true,
    logLevel: "warning",
  });

  const contracts = options.contracts ? await copyContracts(join(bundleDir, "contracts")) : [];
  const bundleResult: BundleResult = {
    name: options.name,
    file,
    bytes: (await stat(file)).size,
    contracts,
    metafile: result.metafile!,
  };
  const zip = options.zip ?? !options.outfile;
  if (zip) {
    if (!functionDir)
      throw new Error(`--zip needs the <outdir>/<name>/ layout, not --outfile ${basename(file)}`);
    bundleResult.zip = join(outdir, `${options.name}.zip`);
    bundleResult.zipBytes = await writeDeterministicZip(functionDir, bundleResult.zip);
  }
  await mkdir(outdir, { recursive: true });
  await writeFile(join(outdir, `${options.name}.meta.json`), JSON.stringify(bundleResult.metafile));
  return bundleResult;
}

/** `123.4 KB` (1 KB = 1024 bytes). */
export function formatKb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

/** The inputs that weigh most in a bundle, largest first: where to look when it grows. */
export function heaviestInputs(metafile: Metafile, count = 10): Array<{ path: string; bytes: number }> {
  const byPackage = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)(?!.*node_modules)/.exec(path);
      const key = match ? match[1]! : path;
      byPackage.set(key, (byPackage.get(key) ?? 0) + input.bytesInOutput);
    }
  }
  return [...byPackage.entries()]
    .map(([path, bytes]) => ({ path, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, count);
}
