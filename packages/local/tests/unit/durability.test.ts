import { join, relative } from "node:path";
import { createEvent } from "@sluice/core";
import { EventJournal, LocalObjectStore, LocalQueue, writeFileAtomic } from "../../src";
import { readAll, tempDir } from "../helpers";

/** The module object itself (a namespace import is a copy under Jest's CommonJS): spies on it reach the code under test. */
const fsp: typeof import("node:fs/promises") = require("node:fs/promises");

/**
 * Records, in order, the renames and fsyncs (by path relative to `root`, temporary names as `*`)
 * the code under test does. A FileHandle does not know its path, so `open` names each handle.
 */
async function recordSyncsAndRenames(root: string): Promise<string[]> {
  const calls: string[] = [];
  const name = (path: unknown) => (relative(root, String(path)) || ".").replace(/[0-9a-f-]{36}/, "*");
  const pathOf = new WeakMap<object, string>();
  const realOpen = fsp.open;
  jest.spyOn(fsp, "open").mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await realOpen(...args);
    pathOf.set(handle, String(args[0]));
    return handle;
  });
  const probe = await realOpen(root, "r");
  const handlePrototype = Object.getPrototypeOf(probe) as { sync: () => Promise<void> };
  await probe.close();
  const realSync = handlePrototype.sync;
  jest.spyOn(handlePrototype, "sync").mockImplementation(async function (this: object) {
    calls.push(`sync ${name(pathOf.get(this))}`);
    return realSync.call(this);
  });
  const realRename = fsp.rename;
  jest.spyOn(fsp, "rename").mockImplementation(async (from, to) => {
    calls.push(`rename ${name(from)} -> ${name(to)}`);
    return realRename(from, to);
  });

  return calls;
}

describe("durable state writes (--fsync)", () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await cleanup();
  });

  it("syncs a file before its rename and the directory after it, and new directories in their parent", async () => {
    const calls = await recordSyncsAndRenames(dir);
    await writeFileAtomic(join(dir, "plain", "a.json"), "{}", join(dir, ".tmp"));
    const plain = calls.splice(0);

    await writeFileAtomic(join(dir, "durable", "b.json"), "{}", join(dir, ".tmp"), { fsync: true });

    expect(plain).toEqual(["rename .tmp/*.tmp -> plain/a.json"]);
    expect(calls).toEqual([
      "sync .tmp/*.tmp",
      "sync .",
      "rename .tmp/*.tmp -> durable/b.json",
      "sync durable",
    ]);
  });

  it("keeps objects, messages and journal lines readable when every write is synced", async () => {
    const calls = await recordSyncsAndRenames(dir);
    const store = new LocalObjectStore({ rootDir: join(dir, "buckets"), fsync: true });
    const queue = await LocalQueue.open(join(dir, "queues"), "loader", { fsync: true });
    const journal = new EventJournal(join(dir, "events", "journal.ndjson"), { fsync: true });
    const event = createEvent("sluice.object.received", "sluice/listener", {
      runId: "r-0123456789abcdef0123456789abcdef",
      object: { bucket: "raw", key: "orders/a.csv", size: 5 },
      dataset: "orders",
      contractVersion: 1,
      route: "lambda",
    });

    await store.put("raw", "orders/a.csv", "id\n1\n");
    await queue.send("hello");
    await journal.append({ publishedAt: "2026-01-01T00:00:00.000Z", messageId: "m-1", event });

    expect((await readAll(await store.get("raw", "orders/a.csv"))).toString()).toBe("id\n1\n");
    expect((await queue.receive(1)).map((message) => message.body)).toEqual(["hello"]);
    expect(await journal.readAll()).toMatchObject([{ messageId: "m-1", event: { id: event.id } }]);
    expect(calls).toEqual(
      expect.arrayContaining([
        "sync buckets/raw/orders",
        "sync queues/loader/messages",
        "sync events/journal.ndjson",
        "sync events",
      ]),
    );
  });
});
