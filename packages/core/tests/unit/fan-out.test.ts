import {
  ConfigError,
  ContractError,
  contractFingerprint,
  type DatasetContractInput,
  ENV,
  fanOutSettingsFor,
  lambdaRouteMaxBytesFrom,
  parseDatasetContract,
  routeFor,
} from "../../src";

const MiB = 1024 * 1024;

const base: DatasetContractInput = {
  name: "orders",
  version: 1,
  match: { prefix: "orders/" },
  format: { type: "csv" },
  fields: [{ name: "id", type: "integer", required: true }],
  primaryKey: ["id"],
  table: "orders",
};

const environment = { [ENV.fanOutMinBytes]: String(512 * MiB), [ENV.partBytes]: String(128 * MiB) };

describe("fan-out settings of a dataset", () => {
  it("are the environment's when the contract says nothing", () => {
    const contract = parseDatasetContract(base);
    expect(fanOutSettingsFor(contract, environment)).toEqual({ minBytes: 512 * MiB, partBytes: 128 * MiB });
  });

  it("take each of the contract's settings over the environment's", () => {
    const smallParts = parseDatasetContract({ ...base, fanOut: { partBytes: 16 * MiB } });
    expect(fanOutSettingsFor(smallParts, environment)).toEqual({ minBytes: 512 * MiB, partBytes: 16 * MiB });
    const both = parseDatasetContract({ ...base, fanOut: { minBytes: 64 * MiB, partBytes: 32 * MiB } });
    expect(fanOutSettingsFor(both, environment)).toEqual({ minBytes: 64 * MiB, partBytes: 32 * MiB });
  });

  it("split nothing when the environment sets no minimum, or sets it to 0, and the contract none", () => {
    const contract = parseDatasetContract(base);
    expect(fanOutSettingsFor(contract, {})).toBeUndefined();
    expect(
      fanOutSettingsFor(contract, { [ENV.fanOutMinBytes]: "0", [ENV.partBytes]: "1000" }),
    ).toBeUndefined();
  });

  it("split a dataset whose contract sets a minimum even where the environment does not fan out", () => {
    const contract = parseDatasetContract({ ...base, fanOut: { minBytes: 64 * MiB } });
    expect(fanOutSettingsFor(contract, {})).toEqual({ minBytes: 64 * MiB, partBytes: 64 * MiB });
  });

  it("split nothing of a dataset whose contract turns fan-out off, whatever the environment", () => {
    const contract = parseDatasetContract({ ...base, fanOut: { enabled: false } });
    expect(fanOutSettingsFor(contract, environment)).toBeUndefined();
  });

  it("read the process environment by default", () => {
    const saved = { ...process.env };
    Object.assign(process.env, environment);
    try {
      expect(fanOutSettingsFor(parseDatasetContract(base))).toEqual({
        minBytes: 512 * MiB,
        partBytes: 128 * MiB,
      });
    } finally {
      for (const name of Object.keys(environment))
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
    }
  });

  it.each([
    [{ [ENV.fanOutMinBytes]: "-1" }, ENV.fanOutMinBytes],
    [{ [ENV.fanOutMinBytes]: "1e400" }, ENV.fanOutMinBytes],
    [{ [ENV.fanOutMinBytes]: "100", [ENV.partBytes]: "0" }, ENV.partBytes],
    [{ [ENV.fanOutMinBytes]: "100", [ENV.partBytes]: "lots" }, ENV.partBytes],
  ])("refuse an environment that is not a byte count (%j), naming the variable", (env, name) => {
    const act = () => fanOutSettingsFor(parseDatasetContract(base), env);
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(name);
  });

  it.each([
    [{ minBytes: 0 }, /fanOut\.minBytes/],
    [{ partBytes: 1.5 }, /fanOut\.partBytes/],
    [{ enabled: false, partBytes: MiB }, /fanOut\.partBytes: partBytes means nothing when enabled is false/],
    [{ parts: 4 }, /fanOut/],
  ])("are refused by the contract schema when wrong (%j)", (fanOut, message) => {
    const act = () => parseDatasetContract({ ...base, fanOut }, "orders.json");
    expect(act).toThrow(ContractError);
    expect(act).toThrow(message);
  });

  it("leave the contract's fingerprint alone: they change how fast a run loads, not its rows", () => {
    const plain = parseDatasetContract(base);
    const tuned = parseDatasetContract({ ...base, fanOut: { minBytes: MiB, partBytes: MiB } });
    expect(contractFingerprint(tuned)).toBe(contractFingerprint(plain));
  });
});

describe("the environment's cap on the lambda route", () => {
  const auto = parseDatasetContract({ ...base, route: { auto: { thresholdBytes: 1000 } } });

  it("sends an auto contract's object above the cap to the container, under the contract's threshold", () => {
    expect(routeFor(auto, 600, 500)).toBe("container");
    expect(routeFor(auto, 500, 500)).toBe("lambda");
  });

  it("leaves the contract's threshold in charge when it is the lower one", () => {
    expect(routeFor(auto, 1001, 5000)).toBe("container");
    expect(routeFor(auto, 1000, 5000)).toBe("lambda");
  });

  it("does not move a contract that names its route", () => {
    expect(routeFor(parseDatasetContract({ ...base, route: "lambda" }), 10_000, 500)).toBe("lambda");
    expect(routeFor(parseDatasetContract({ ...base, route: "container" }), 1, 500)).toBe("container");
  });

  it("is read from SLUICE_LAMBDA_ROUTE_MAX_BYTES; unset or 0 is no cap", () => {
    expect(lambdaRouteMaxBytesFrom({ [ENV.lambdaRouteMaxBytes]: "18000000000" })).toBe(18_000_000_000);
    expect(lambdaRouteMaxBytesFrom({ [ENV.lambdaRouteMaxBytes]: "0" })).toBeUndefined();
    expect(lambdaRouteMaxBytesFrom({})).toBeUndefined();
    expect(() => lambdaRouteMaxBytesFrom({ [ENV.lambdaRouteMaxBytes]: "18 GB" })).toThrow(ConfigError);
  });
});
