import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { type IngestIntent, IngestJournal } from "../../src/runtime/ingest-journal";
import { tempStateDir } from "../support/harness";

function intentOf(paths: string[], prefix = "", files = 3): IngestIntent {
  return {
    paths,
    prefix,
    files: Array.from({ length: files }, (_, i) => ({
      path: `${paths[0]}/f${i}.csv`,
      key: `${prefix}f${i}.csv`,
      size: 10,
      mtimeMs: 1,
    })),
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, files)).toISOString(),
  };
}

describe("IngestJournal", () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempStateDir());
  });
  afterEach(() => cleanup());

  it("keeps an ingest that did not finish, with how many files it stored, until it finishes", async () => {
    const journal = new IngestJournal(join(dir, "ingests"));
    const ingest = await journal.begin(intentOf(["/data/a"]));
    await ingest.stored(1);
    await ingest.stored(2);

    const interrupted = await new IngestJournal(join(dir, "ingests")).interruptedOf(["/data/a"], "");
    await ingest.finish();

    expect(interrupted).toMatchObject({ stored: 2, intent: { paths: ["/data/a"] } });
    expect(await journal.interrupted()).toEqual([]);
    expect(await readdir(join(dir, "ingests"))).toEqual([".tmp"]);
  });

  it("tells ingests apart by their paths and prefix, and a new one of the same paths starts from nothing", async () => {
    const journal = new IngestJournal(join(dir, "ingests"));
    await (await journal.begin(intentOf(["/data/a"], "", 2))).stored(2);
    await (await journal.begin(intentOf(["/data/a"], "p/", 4))).stored(1);
    await journal.begin(intentOf(["/data/b"], "", 5));

    const again = await journal.begin(intentOf(["/data/a"], "", 3));

    expect(
      (await journal.interrupted()).map(({ intent, stored }) => [intent.paths[0], intent.prefix, stored]),
    ).toEqual([
      ["/data/a", "", 0],
      ["/data/a", "p/", 1],
      ["/data/b", "", 0],
    ]);
    expect(await journal.interruptedOf(["/data/c"], "")).toBeUndefined();
    await again.finish();
  });
});
