import { overridesFromEnv } from "../src/app";
import { configFor, InvalidConfigError, visibilityTimeoutOf } from "../src/config";

describe("configFor", () => {
  it("sizes prod above dev where it matters", () => {
    const dev = configFor("dev");
    const prod = configFor("prod");
    expect(prod.database.multiAz).toBe(true);
    expect(dev.database.multiAz).toBe(false);
    expect(prod.functions.transform.memoryMb).toBeGreaterThan(dev.functions.transform.memoryMb);
    expect(prod.functions.transform.reservedConcurrency).toBeGreaterThan(
      dev.functions.transform.reservedConcurrency,
    );
  });

  it("merges per-function overrides over the defaults", () => {
    const config = configFor("dev", { functions: { loader: { timeoutSeconds: 60 } } });
    expect(config.functions.loader.timeoutSeconds).toBe(60);
    expect(config.functions.loader.memoryMb).toBe(configFor("dev").functions.loader.memoryMb);
    expect(visibilityTimeoutOf(config, "loader")).toBe(
      6 * 60 + config.functions.loader.maxBatchingWindowSeconds,
    );
  });

  it.each([
    [{ availabilityZones: ["eu-west-1a"] }, /at least two zones/],
    [{ accountId: "12345" }, /12-digit/],
    [{ queues: { ...configFor("dev").queues, visibilityTimeoutMultiplier: 3 } }, /at least 6/],
    [{ functions: { transform: { reservedConcurrency: 1 } } }, /transform\.reservedConcurrency/],
    [{ functions: { loader: { timeoutSeconds: 901 } } }, /loader\.timeoutSeconds/],
    [
      { eventsArchive: { ...configFor("dev").eventsArchive, bufferingIntervalSeconds: 901 } },
      /bufferingInterval/,
    ],
    [{ eventsArchive: { ...configFor("dev").eventsArchive, prefix: "events" } }, /end with \//],
    [{ eventsArchive: { ...configFor("dev").eventsArchive, errorPrefix: "events/errors/" } }, /overlap/],
    [{ ecs: { ...configFor("dev").ecs, maxAttempts: 0 } }, /ecs\.maxAttempts/],
  ])("rejects a config AWS would refuse or that would lose messages (%j)", (overrides, message) => {
    expect(() => configFor("dev", overrides)).toThrow(InvalidConfigError);
    expect(() => configFor("dev", overrides)).toThrow(message);
  });
});

describe("overridesFromEnv", () => {
  it("keeps state locally and the committed accounts when nothing is set", () => {
    expect(overridesFromEnv({})).toEqual({ dev: {}, prod: {} });
  });

  it("puts each environment's state under its own key in the given bucket, with its account", () => {
    const overrides = overridesFromEnv({
      SLUICE_STATE_BUCKET: "acme-tf-state",
      SLUICE_PROD_ACCOUNT_ID: "999999999999",
    });
    expect(overrides.prod).toEqual({
      accountId: "999999999999",
      stateBackend: {
        type: "s3",
        bucket: "acme-tf-state",
        key: "sluice/prod/terraform.tfstate",
        region: "eu-west-1",
      },
    });
    expect(overrides.dev?.stateBackend).toEqual(
      expect.objectContaining({ key: "sluice/dev/terraform.tfstate" }),
    );
  });
});
