import { createEvent, ENV, type SluiceEvent } from "@sluice/core";
import { MemoryEventPublisher } from "@sluice/local";
import { announcingRetries, taskAttemptsFromEnv } from "../../src/task";

const run = {
  runId: "r-0123456789abcdef0123456789abcdef",
  object: { bucket: "raw", key: "ledger/2026-12.dat", size: 10, eTag: "e" },
  dataset: "ledger",
};

function failed(retryable: boolean): SluiceEvent<"sluice.object.failed"> {
  return createEvent("sluice.object.failed", "sluice/legacy-wrapper", {
    ...run,
    phase: "loader",
    reason: "database-unavailable",
    message: "ledger/2026-12.dat: load failed: connection refused",
    retryable,
  });
}

describe("a task's retryable failures", () => {
  it("name the attempt its exit 75 starts, while the run has attempts left", async () => {
    // prepare
    const sink = new MemoryEventPublisher();
    const publisher = announcingRetries(sink, taskAttemptsFromEnv({ [ENV.taskAttempt]: "2" }));

    // act
    await publisher.publish(failed(true));
    await publisher.publish(failed(false));

    // assert
    const [retried, final] = sink.events as SluiceEvent<"sluice.object.failed">[];
    expect(retried!.data).toMatchObject({ retryable: true, nextAttempt: 3 });
    expect(retried!.data.message).toMatch(
      /connection refused; started again automatically \(attempt 3 of 3\)$/,
    );
    expect(final!.data.nextAttempt).toBeUndefined();
  });

  it("are published as they are on the run's last attempt", async () => {
    // prepare
    const sink = new MemoryEventPublisher();
    const attempts = taskAttemptsFromEnv({ [ENV.taskAttempt]: "2", [ENV.taskMaxAttempts]: "2" });
    const event = failed(true);

    // act
    await announcingRetries(sink, attempts).publish(event);

    // assert
    expect(sink.events).toEqual([event]);
  });

  it("count a task without an attempt as the first", () => {
    expect(taskAttemptsFromEnv({})).toEqual({ attempt: 1, maxAttempts: 3 });
  });
});
