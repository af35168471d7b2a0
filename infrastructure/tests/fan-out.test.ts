import { ENV } from "@sluice/core";
import { configFor, type Environment, type FunctionName, InvalidConfigError } from "../src/config";
import type { PolicyStatement } from "../src/iam";
import { lambdaRouteMaxBytesOf } from "../src/throughput";
import { writePlaceholderBundles } from "./support/bundles";
import { resourcesOf, resourceWhere, type SynthesizedStack, synthStack } from "./support/synth";

/** The file size issue 13 asks prod to fan out over at least 50 concurrent invocations. */
const TEN_GB = 10 * 1000 ** 3;
const bundles = writePlaceholderBundles();
const stacks = {} as Record<Environment, SynthesizedStack>;

beforeAll(() => {
  stacks.dev = synthStack("dev", { bundles });
  stacks.prod = synthStack("prod", { bundles });
});

const functionOf = (env: Environment, name: FunctionName) =>
  resourceWhere(stacks[env], "aws_lambda_function", "function_name", `sluice-${env}-${name}`);
const variablesOf = (env: Environment, name: FunctionName) =>
  (functionOf(env, name).environment as { variables: Record<string, string> }).variables;
const mappingOf = (env: Environment, name: FunctionName) => {
  const [mapping, ...others] = resourcesOf(stacks[env], "aws_lambda_event_source_mapping").filter(
    (candidate) => String(candidate.function_name).includes(`.${name}_function_`),
  );
  expect(others).toEqual([]);
  return mapping!;
};
const statementsOf = (env: Environment, name: FunctionName): PolicyStatement[] =>
  JSON.parse(
    resourceWhere(stacks[env], "aws_iam_role_policy", "name", `sluice-${env}-${name}-policy`)
      .policy as string,
  ).Statement;
const actionsOn = (statements: PolicyStatement[], resource: RegExp) =>
  statements
    .filter((statement) => [statement.Resource].flat().some((arn) => resource.test(arn)))
    .flatMap((statement) => [statement.Action].flat());

describe("the transform's fan-out in the synthesised stacks", () => {
  it("lets prod stage a 10 GB file as at least 50 parts running at once, in one wave", () => {
    const partBytes = Number(variablesOf("prod", "transform")[ENV.partBytes]);
    const minBytes = Number(variablesOf("prod", "transform")[ENV.fanOutMinBytes]);
    const concurrency = functionOf("prod", "transform").reserved_concurrent_executions as number;
    const parts = Math.ceil(TEN_GB / partBytes);

    expect(partBytes).toBeLessThanOrEqual(200 * 1000 ** 2);
    expect(minBytes).toBeGreaterThan(0);
    expect(minBytes).toBeLessThan(TEN_GB);
    expect(parts).toBeGreaterThanOrEqual(50);
    expect(concurrency).toBeGreaterThanOrEqual(50);
    expect(concurrency).toBeGreaterThanOrEqual(parts);
    expect(mappingOf("prod", "transform")).toMatchObject({
      batch_size: 1,
      scaling_config: { maximum_concurrency: concurrency },
    });
  });

  it("sets each environment's fan-out from its config, dev's smaller than prod's", () => {
    for (const env of ["dev", "prod"] as const)
      expect(variablesOf(env, "transform")).toMatchObject({
        [ENV.fanOutMinBytes]: String(configFor(env).fanOut.minBytes),
        [ENV.partBytes]: String(configFor(env).fanOut.partBytes),
      });
    expect(configFor("dev").fanOut.partBytes).toBeLessThan(configFor("prod").fanOut.partBytes);
    expect(functionOf("dev", "transform").reserved_concurrent_executions as number).toBeLessThan(
      functionOf("prod", "transform").reserved_concurrent_executions as number,
    );
    expect(mappingOf("dev", "transform")).toMatchObject({ batch_size: 1 });
  });

  it("lets the transform read raw by range and put, get and list parts in staging, and the loader read and list them", () => {
    const transform = statementsOf("prod", "transform");
    expect(actionsOn(transform, /storage_raw_bucket.*\/\*$/)).toContain("s3:GetObject");
    expect(actionsOn(transform, /storage_staging_bucket.*\/staged\/\*$/)).toEqual(
      expect.arrayContaining(["s3:PutObject", "s3:GetObject"]),
    );
    expect(actionsOn(transform, /storage_staging_bucket.*\.arn\}$/)).toContain("s3:ListBucket");
    const loader = statementsOf("prod", "loader");
    expect(actionsOn(loader, /storage_staging_bucket.*\/staged\/\*$/)).toContain("s3:GetObject");
    expect(actionsOn(loader, /storage_staging_bucket.*\.arn\}$/)).toContain("s3:ListBucket");
    expect(actionsOn(loader, /storage_staging_bucket/)).not.toContain("s3:PutObject");
  });
});

describe("the listener's cap on the lambda route", () => {
  it.each(["dev", "prod"] as const)("is %s's loader timeout × assumed COPY rate × timeout share", (env) => {
    const config = configFor(env);
    const loaderTimeout = functionOf(env, "loader").timeout as number;
    const { assumedLoadBytesPerSecond, timeoutShare } = config.lambdaRoute;

    const cap = Number(variablesOf(env, "listener")[ENV.lambdaRouteMaxBytes]);

    expect(cap).toBe(Math.floor(loaderTimeout * assumedLoadBytesPerSecond * timeoutShare));
    expect(cap).toBe(lambdaRouteMaxBytesOf(config));
  });

  it("follows the loader's timeout", () => {
    const config = configFor("prod", { functions: { loader: { timeoutSeconds: 450 } } });
    expect(lambdaRouteMaxBytesOf(config)).toBe(lambdaRouteMaxBytesOf(configFor("prod")) / 2);
  });

  it("keeps prod's 10 GB file on the lambda route, where it fans out", () => {
    expect(Number(variablesOf("prod", "listener")[ENV.lambdaRouteMaxBytes])).toBeGreaterThan(TEN_GB);
  });
});

describe("fan-out settings that cannot work", () => {
  const prod = configFor("prod");
  it.each([
    [{ fanOut: { minBytes: 64 * 2 ** 20, partBytes: 128 * 2 ** 20 } }, /split objects into one part/],
    [{ fanOut: { minBytes: 2 ** 30, partBytes: 1000 } }, /partBytes must be .* at least/],
    [{ fanOut: { minBytes: -1, partBytes: 2 ** 27 } }, /minBytes/],
    [{ functions: { transform: { batchSize: 10 } } }, /batchSize must be 1 with fan-out/],
    [
      { functions: { transform: { reservedConcurrency: 1001 } } },
      /transform\.reservedConcurrency must be 2\.\.1000/,
    ],
    [{ lambdaRoute: { ...prod.lambdaRoute, timeoutShare: 0 } }, /timeoutShare/],
    [{ lambdaRoute: { ...prod.lambdaRoute, assumedLoadBytesPerSecond: 0 } }, /assumedLoadBytesPerSecond/],
  ])("are refused before a deploy (%j)", (overrides, message) => {
    expect(() => configFor("prod", overrides)).toThrow(InvalidConfigError);
    expect(() => configFor("prod", overrides)).toThrow(message);
  });

  it("allow fan-out off (minBytes 0) with batches of several messages", () => {
    const config = configFor("dev", {
      fanOut: { minBytes: 0, partBytes: 2 ** 26 },
      functions: { transform: { batchSize: 10 } },
    });
    expect(config.fanOut.minBytes).toBe(0);
  });
});
