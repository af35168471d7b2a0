import { createEvent } from "@sluice/core";
import {
  EventOutbox,
  isLocalTask,
  LOCAL_ENV,
  LocalObjectStore,
  localStateLayout,
  localTaskPorts,
} from "../../src";
import { readAll, tempDir } from "../helpers";

describe("local task ports", () => {
  it("give a task process the runtime's buckets and an outbox publisher from SLUICE_LOCAL_STATE_DIR", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const env = { [LOCAL_ENV.stateDir]: dir };
      const event = createEvent("sluice.object.failed", "sluice/legacy-wrapper", {
        runId: "r-0123456789abcdef0123456789abcdef",
        object: { bucket: "raw", key: "ledger/x.txt", size: 1 },
        phase: "legacy-wrapper",
        reason: "exit-code",
        message: "legacy program exited 3",
        retryable: false,
      });

      const ports = localTaskPorts(env);
      await ports.store.put("staging", "staged/x", "rows");
      await ports.publisher.publish(event);

      const layout = localStateLayout(dir);
      const runtimeStore = new LocalObjectStore({ rootDir: layout.bucketsDir });
      expect((await readAll(await runtimeStore.get("staging", "staged/x"))).toString()).toBe("rows");
      const relayed: unknown[] = [];
      await new EventOutbox(layout.outboxDir).relay({ publish: async (e) => void relayed.push(e) });
      expect(relayed).toEqual([event]);
      expect(isLocalTask(env)).toBe(true);
      expect(isLocalTask({})).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
