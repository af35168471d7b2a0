import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { EventJournal, LocalObjectStore, writeFileAtomic } from "../../src";
import { readAll, tempDir } from "../helpers";

/** The module object itself (a namespace import is a copy under Jest's CommonJS): spies on it reach the code under test. */
const fsp: typeof import("node:fs/promises") = require("node:fs/promises");

describe("state writes and their directories", () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await cleanup();
  });

  it("asks for a directory once, not at every write into it", async () => {
    const mkdir = jest.spyOn(fsp, "mkdir");

    for (let i = 0; i < 5; i++)
      await writeFileAtomic(join(dir, "data", `${i}.json`), "{}", join(dir, ".tmp"));

    expect(mkdir.mock.calls.map(([path]) => String(path)).sort()).toEqual([
      join(dir, ".tmp"),
      join(dir, "data"),
    ]);
    expect(await readFile(join(dir, "data", "4.json"), "utf8")).toBe("{}");
  });

  it("makes a remembered directory again when something removed it", async () => {
    await writeFileAtomic(join(dir, "data", "a.json"), "1", join(dir, ".tmp"));
    const journal = new EventJournal(join(dir, "events", "journal.ndjson"));
    await journal.append({ publishedAt: "t", messageId: "m1", event: {} as never });
    await rm(join(dir, "data"), { recursive: true });
    await rm(join(dir, ".tmp"), { recursive: true });
    await rm(join(dir, "events"), { recursive: true });

    await writeFileAtomic(join(dir, "data", "b.json"), "2", join(dir, ".tmp"));
    await journal.append({ publishedAt: "t", messageId: "m2", event: {} as never });

    expect(await readFile(join(dir, "data", "b.json"), "utf8")).toBe("2");
    expect((await journal.readAll()).map((entry) => entry.messageId)).toEqual(["m2"]);
  });

  it("stores an object after the bucket's temporary folder was removed under a store that wrote there", async () => {
    const store = new LocalObjectStore({ rootDir: join(dir, "buckets") });
    await store.put("raw", "a.csv", "id\n1\n");
    await rm(join(dir, "buckets", "raw", ".tmp"), { recursive: true });

    await store.put("raw", "b.csv", "id\n2\n");

    expect((await readAll(await store.get("raw", "b.csv"))).toString()).toBe("id\n2\n");
  });
});
