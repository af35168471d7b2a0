import { parseArgs } from "node:util";
import { type BundleOptions, bundle, formatKb, heaviestInputs } from "./bundle";

/** `sluice-bundle --help`. */
export const USAGE = `Usage: sluice-bundle --entry <file> --name <fn> [options]

Bundles one deployable with esbuild into <outdir>/<fn>/index.mjs (ESM, node22, minified,
AWS SDK inside) and a deterministic <outdir>/<fn>.zip for Lambda (handler index.handler).

Options:
  --entry <file>      entry file (TypeScript or JavaScript)            (required)
  --name <fn>         function name                                     (required)
  --contracts         copy the dataset contracts to <fn>/contracts/
  --format esm|cjs    module format                                     (default esm)
  --outdir <dir>      output folder                                     (default dist)
  --outfile <file>    write exactly this file instead (no zip), e.g. dist/sluice.cjs
  --zip / --no-zip    write <outdir>/<fn>.zip                           (default: zip unless --outfile)
  --external <pkg>    leave <pkg> out of the bundle (repeatable), e.g. pg-native
  --sourcemap         write an external source map beside the bundle
  --no-minify         keep the output readable
  --analyze           print the heaviest packages in the bundle
  --help              this text`;

/** Parses `sluice-bundle` arguments into {@link BundleOptions}; throws with a usage hint on error. */
export function parseBundleArgs(argv: string[]): (BundleOptions & { analyze: boolean }) | "help" {
  const { values } = parseArgs({
    args: argv,
    allowNegative: true,
    strict: true,
    options: {
      entry: { type: "string" },
      name: { type: "string" },
      contracts: { type: "boolean", default: false },
      format: { type: "string", default: "esm" },
      outdir: { type: "string" },
      outfile: { type: "string" },
      zip: { type: "boolean" },
      external: { type: "string", multiple: true, default: [] },
      sourcemap: { type: "boolean", default: false },
      minify: { type: "boolean", default: true },
      analyze: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return "help";
  if (!values.entry || !values.name) throw new Error("--entry and --name are required");
  if (values.format !== "esm" && values.format !== "cjs") {
    throw new Error(`--format must be esm or cjs, not ${values.format}`);
  }
  const options: BundleOptions & { analyze: boolean } = {
    entry: values.entry,
    name: values.name,
    format: values.format,
    contracts: values.contracts,
    external: values.external,
    sourcemap: values.sourcemap,
    minify: values.minify,
    analyze: values.analyze,
  };
  if (values.outdir !== undefined) options.outdir = values.outdir;
  if (values.outfile !== undefined) options.outfile = values.outfile;
  if (values.zip !== undefined) options.zip = values.zip;
  return options;
}

/** Runs the CLI; resolves with the process exit code. */
export async function main(argv: string[], out: (line: string) => void = console.log): Promise<number> {
  let parsed: ReturnType<typeof parseBundleArgs>;
  try {
    parsed = parseBundleArgs(argv);
  } catch (error) {
    out(`sluice-bundle: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (parsed === "help") {
    out(USAGE);
    return 0;
  }
  const { analyze, ...options } = parsed;
  const result = await bundle(options);
  const cwd = process.cwd();
  const rel = (path: string) => (path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path);
  out(`${rel(result.file)}  ${formatKb(result.bytes)}`);
  if (result.zip && result.zipBytes !== undefined) out(`${rel(result.zip)}  ${formatKb(result.zipBytes)}`);
  if (result.contracts.length > 0) out(`  contracts: ${result.contracts.join(", ")}`);
  if (analyze) {
    for (const input of heaviestInputs(result.metafile))
      out(`  ${formatKb(input.bytes).padStart(10)}  ${input.path}`);
  }
  return 0;
}
