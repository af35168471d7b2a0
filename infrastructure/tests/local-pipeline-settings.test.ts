import { DEFAULT_PIPELINE_SETTINGS, FUNCTION_NAMES } from "@sluice/cli";
import { configFor } from "../src";

describe("the local pipeline's default settings", () => {
  const dev = configFor("dev");

  it("are the dev stack's function settings, so a local run behaves like the deployed one", () => {
    for (const name of FUNCTION_NAMES) {
      const deployed = dev.functions[name];
      expect({ name, ...DEFAULT_PIPELINE_SETTINGS.functions[name] }).toMatchObject({
        name,
        batchSize: deployed.batchSize,
        timeoutMs: deployed.timeoutSeconds * 1000,
        reservedConcurrency: deployed.reservedConcurrency,
        memoryMb: deployed.memoryMb,
      });
    }
  });

  it("are the dev stack's queue policy and container task attempts", () => {
    expect(DEFAULT_PIPELINE_SETTINGS.queues).toMatchObject({
      maxReceiveCount: dev.queues.maxReceiveCount,
      visibilityTimeoutMultiplier: dev.queues.visibilityTimeoutMultiplier,
    });
    expect(DEFAULT_PIPELINE_SETTINGS.taskMaxAttempts).toBe(dev.ecs.maxAttempts);
  });
});
