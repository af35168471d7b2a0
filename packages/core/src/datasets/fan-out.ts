import * as z from "zod/mini";
import "../zod-config";
import { ENV, intFromEnv } from "../config";
import { ConfigError } from "../errors";
import type { DatasetContract } from "./contract";
import { positiveInt } from "./fields";

/**
 * The `fanOut` section of a dataset contract: the dataset's own fan-out settings, each one
 * overriding the environment's (`SLUICE_FANOUT_MIN_BYTES`, `SLUICE_PART_BYTES`). `enabled: false`
 * stages every object of the dataset in one pass whatever the environment says.
 */
export const fanOutSectionSchema = z
  .strictObject({
    /** `false`: never split this dataset's objects. */
    enabled: z.optional(z.boolean()),
    /** Objects of at least this many bytes are cut into parts staged in parallel. */
    minBytes: z.optional(positiveInt()),
    /** Bytes wanted per part. */
    partBytes: z.optional(positiveInt()),
  })
  .check(
    z.superRefine((section, ctx) => {
      if (section.enabled !== false) return;
      for (const key of ["minBytes", "partBytes"] as const)
        if (section[key] !== undefined)
          ctx.addIssue({
            code: "custom",
            message: `${key} means nothing when enabled is false`,
            path: [key],
          });
    }),
  );

/** A contract's `fanOut` section as validated. */
export type FanOutSection = z.output<typeof fanOutSectionSchema>;

/** How one object of a dataset is cut into parts in this environment. */
export interface FanOutSettings {
  /** Objects of at least this many bytes are split. */
  minBytes: number;
  /** Bytes wanted per part. */
  partBytes: number;
}

/**
 * The fan-out settings of `contract` in the environment `env`, or `undefined` when its objects are
 * never split. Each setting comes from the contract's `fanOut` section when it has it, else from
 * the environment (`SLUICE_FANOUT_MIN_BYTES`, `SLUICE_PART_BYTES`; a minimum of `0` or unset
 * means "never split"). A part size known from neither side defaults to the minimum size: the
 * smallest object split is then cut into about one part per `minBytes`, never into slivers.
 *
 * @throws ConfigError when an environment variable is set to something else than a non-negative
 *   integer (a positive one for `SLUICE_PART_BYTES`).
 */
export function fanOutSettingsFor(
  contract: Pick<DatasetContract, "fanOut">,
  env: NodeJS.ProcessEnv = process.env,
): FanOutSettings | undefined {
  const section = contract.fanOut;
  if (section?.enabled === false) return undefined;
  const minBytes = section?.minBytes ?? nonNegativeIntFromEnv(ENV.fanOutMinBytes, env);
  if (!minBytes) return undefined;
  return { minBytes, partBytes: section?.partBytes ?? intFromEnv(ENV.partBytes, minBytes, env) };
}

/**
 * The environment's cap on the lambda route (`SLUICE_LAMBDA_ROUTE_MAX_BYTES`): objects above it
 * go to the container even when their contract's `auto` threshold is higher. `undefined` when
 * unset or `0` (no cap, as in the local runtime).
 *
 * @throws ConfigError when the variable is not a non-negative integer.
 */
export function lambdaRouteMaxBytesFrom(env: NodeJS.ProcessEnv = process.env): number | undefined {
  return nonNegativeIntFromEnv(ENV.lambdaRouteMaxBytes, env) || undefined;
}

/** A non-negative integer from the environment (unset: 0); `0` is how the stacks say "off". */
function nonNegativeIntFromEnv(name: string, env: NodeJS.ProcessEnv): number {
  const value = env[name];
  if (value === undefined || value === "") return 0;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    throw new ConfigError(`environment variable ${name}=${value} is not a non-negative integer`, { name });
  return parsed;
}
