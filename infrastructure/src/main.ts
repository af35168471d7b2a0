import { overridesFromEnv, synthesize } from "./app";
import { MissingBundleError } from "./bundles";
import { InvalidConfigError } from "./config";

// `pnpm synth` / `pnpm build`: writes cdktf.out/stacks/{dev,prod}/cdk.tf.json.
try {
  const started = performance.now();
  const { stacks } = synthesize({
    outdir: process.env.SLUICE_CDKTF_OUTDIR,
    overrides: overridesFromEnv(process.env),
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`synthesised ${stacks.map((stack) => stack.config.environment).join(", ")} in ${seconds}s`);
} catch (error) {
  if (error instanceof MissingBundleError || error instanceof InvalidConfigError) {
    console.error(`synth failed: ${error.message}`);
    process.exit(1);
  }
  throw error;
}
