import { stagingKeysOf } from "@sluice/core";
import {
  lines,
  RAW_BUCKET,
  receivedEvent,
  registry,
  STAGING_BUCKET,
  testDeps,
} from "@sluice/staging/testing";
import { transformObject } from "../../src";

const HEADER = "order_id,customer_id,status,amount,currency,ordered_at,note";

describe("transformObject", () => {
  it("reads the object named by the event from the store and stages it", async () => {
    // prepare
    const deps = { ...testDeps(), registry };
    const event = receivedEvent(registry.get("orders"), "orders/x.csv");
    deps.store.seed(
      RAW_BUCKET,
      "orders/x.csv",
      lines("\n", HEADER, "1,10,paid,1.00,EUR,2026-11-27T10:00:00Z,"),
    );

    // act
    const outcome = await transformObject(event, deps);

    // assert
    expect(outcome.status).toBe("staged");
    const keys = stagingKeysOf("orders", event.data.runId);
    expect(deps.store.bytes(STAGING_BUCKET, keys.manifestKey)).toBeDefined();
  });

  it("quarantines with the store's reason when the object no longer exists", async () => {
    // prepare
    const deps = { ...testDeps(), registry };
    const event = receivedEvent(registry.get("orders"), "orders/gone.csv");

    // act
    const outcome = await transformObject(event, deps);

    // assert
    expect(outcome.status).toBe("quarantined");
    expect(deps.publisher.events.map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([
      ["sluice.object.quarantined", "not-found"],
    ]);
  });
});
