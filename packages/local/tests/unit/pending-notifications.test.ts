import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseS3Notification } from "@sluice/core";
import type { S3Event } from "aws-lambda";
import { LocalObjectStore } from "../../src";
import { PendingNotifications } from "../../src/object-store/pending-notifications";
import { tempDir } from "../helpers";

/** A store as a restarted runtime opens it: notifications of `raw` go to `sent`. */
function restartedStore(rootDir: string, sent: S3Event[]): LocalObjectStore {
  const store = new LocalObjectStore({ rootDir });
  store.onObjectCreated("raw", async (notification) => {
    sent.push(notification);
  });
  return store;
}

describe("LocalObjectStore notifications owed across a crash", () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it("announces at the next start an object stored whose notification was never taken", async () => {
    const crashing = new LocalObjectStore({ rootDir: dir });
    // The process dies after the commit, before the listener's queue took the notification.
    crashing.onObjectCreated("raw", async () => {
      throw new Error("killed");
    });
    await expect(crashing.put("raw", "orders/a b.csv", "id\n1\n")).rejects.toThrow("killed");
    const head = await crashing.head("raw", "orders/a b.csv");
    const sent: S3Event[] = [];

    const announced = await restartedStore(dir, sent).recoverNotifications("raw");

    expect(announced).toEqual(["orders/a b.csv"]);
    const [created] = parseS3Notification(JSON.parse(JSON.stringify(sent[0])));
    expect(created!.object).toMatchObject({ key: "orders/a b.csv", eTag: head!.eTag, size: 5 });
    expect(await restartedStore(dir, []).recoverNotifications("raw")).toEqual([]);
  });

  it("forgets a put that died before its commit, and removes the body it had moved into place", async () => {
    // What such a crash leaves: the owed notification and a body file no metadata names.
    const bucketDir = join(dir, "raw");
    await new PendingNotifications().record(bucketDir, {
      key: "orders/x.csv",
      body: "x.csv.~lost.obj",
      sequencer: "0000000000000001",
    });
    await mkdir(join(bucketDir, "orders"), { recursive: true });
    await writeFile(join(bucketDir, "orders", "x.csv.~lost.obj"), "half");
    const sent: S3Event[] = [];
    const store = restartedStore(dir, sent);

    const announced = await store.recoverNotifications("raw");

    expect([announced, sent]).toEqual([[], []]);
    expect(await store.head("raw", "orders/x.csv")).toBeUndefined();
    expect(await readdir(join(bucketDir, "orders"))).toEqual([]);
    expect(await readdir(join(bucketDir, ".pending"))).toEqual([]);
  });

  it("owes nothing once a put's notification was taken", async () => {
    const sent: S3Event[] = [];
    const store = restartedStore(dir, sent);

    await store.put("raw", "orders/b.csv", "id\n2\n");

    expect(sent).toHaveLength(1);
    expect(await restartedStore(dir, sent).recoverNotifications("raw")).toEqual([]);
    expect(sent).toHaveLength(1);
    expect((await readdir(join(dir, "raw"))).sort()).toEqual([".pending", "orders"]);
  });
});
