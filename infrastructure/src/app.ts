import * as path from "node:path";
import { App } from "cdktf";
import { configFor, type Environment, type RawDelivery, type SluiceConfigOverrides } from "./config";
import { SluiceStack } from "./stack";

/** Every environment `pnpm synth` writes, each to `cdktf.out/stacks/<environment>`. */
export const ENVIRONMENTS: readonly Environment[] = ["dev", "prod"];

/** Options of {@link synthesize}. */
export interface SynthesizeOptions {
  /** Folder the Terraform JSON goes to; defaults to `infrastructure/cdktf.out`. */
  outdir?: string;
  /** Config overrides per environment (tests point `bundles` at placeholder zips here). */
  overrides?: Partial<Record<Environment, SluiceConfigOverrides>>;
}

/** Builds both stacks and writes them to `outdir/stacks/<environment>/cdk.tf.json`. */
export function synthesize(options: SynthesizeOptions = {}): { app: App; stacks: SluiceStack[] } {
  const outdir = options.outdir ?? path.resolve(__dirname, "..", "cdktf.out");
  const app = new App({ outdir, stackTraces: false });
  const stacks = ENVIRONMENTS.map(
    (environment) =>
      new SluiceStack(app, environment, configFor(environment, options.overrides?.[environment])),
  );
  app.synth();
  return { app, stacks };
}

/**
 * Deploy-time overrides read from the environment, so no account id or state bucket is committed:
 * `SLUICE_<ENV>_ACCOUNT_ID`, `SLUICE_STATE_BUCKET` (+ optional `SLUICE_STATE_REGION`) to keep
 * state in S3 under `sluice/<env>/terraform.tfstate` instead of a local file, and
 * `SLUICE_<ENV>_RAW_DELIVERY` (`s3-notification` or `eventbridge`).
 */
export function overridesFromEnv(
  env: NodeJS.ProcessEnv,
): Partial<Record<Environment, SluiceConfigOverrides>> {
  const result: Partial<Record<Environment, SluiceConfigOverrides>> = {};
  for (const environment of ENVIRONMENTS) {
    const overrides: SluiceConfigOverrides = {};
    const accountId = env[`SLUICE_${environment.toUpperCase()}_ACCOUNT_ID`];
    if (accountId) overrides.accountId = accountId;
    const rawDelivery = env[`SLUICE_${environment.toUpperCase()}_RAW_DELIVERY`];
    if (rawDelivery)
      overrides.storage = { ...configFor(environment).storage, rawDelivery: rawDelivery as RawDelivery };
    const stateBucket = env.SLUICE_STATE_BUCKET;
    if (stateBucket) {
      const region = env.SLUICE_STATE_REGION ?? configFor(environment).region;
      overrides.stateBackend = {
        type: "s3",
        bucket: stateBucket,
        key: `sluice/${environment}/terraform.tfstate`,
        region,
      };
    }
    result[environment] = overrides;
  }
  return result;
}
