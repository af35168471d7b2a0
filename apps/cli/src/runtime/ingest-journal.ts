import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Durability, isFsError, writeFileAtomic } from "@sluice/local";

/** A file an ingest stores, and how it looked when the ingest began (to tell whether it changed since). */
export interface IngestFile {
  path: string;
  /** The raw key it gets. */
  key: string;
  size: number;
  mtimeMs: number;
}

/** What one `sluice run <paths>` set out to ingest, recorded before its first file is stored. */
export interface IngestIntent {
  /** The paths as given, absolute. */
  paths: string[];
  /** What was put in front of every key. */
  prefix: string;
  /** The files, in the order they are stored. */
  files: IngestFile[];
  startedAt: string;
}

/** An ingest that did not finish: what it set out to do, and how many of its files (in order) it stored. */
export interface InterruptedIngest {
  intent: IngestIntent;
  stored: number;
}

/** One ingest under way. */
export interface IngestProgress {
  /** The first `count` files are stored (each with its notification). */
  stored(count: number): Promise<void>;
  /** Every file is stored: the ingest is done and forgotten. */
  finish(): Promise<void>;
}

/**
 * The ingests of folders and files (`sluice run <paths>`) under way, in `<stateDir>/ingests/`:
 * `<id>.json` holds an ingest's intent (its paths, prefix and file list), written before its
 * first file is stored, and `<id>.progress.json` how many files it stored, rewritten after each
 * file (each object is stored with its notification, so a stored file is announced). Both go
 * when it finishes, so what is left after a crash is an interrupted ingest: the next
 * `sluice run` of the same paths says so and finishes it. The id is derived from the paths and
 * the prefix: one interrupted ingest per set of paths. Every write is write-then-rename.
 */
export class IngestJournal {
  readonly dir: string;
  readonly #durability: Durability;

  constructor(dir: string, durability: Durability = {}) {
    this.dir = dir;
    this.#durability = durability;
  }

  /** Every ingest that did not finish, oldest first. */
  async interrupted(): Promise<InterruptedIngest[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((name) => INTENT_FILE.test(name));
    } catch (error) {
      if (isFsError(error, "ENOENT")) return [];
      throw error;
    }
    const found: InterruptedIngest[] = [];
    for (const name of names) {
      const ingest = await this.#interruptedById(name.slice(0, -".json".length));
      if (ingest) found.push(ingest);
    }
    return found.sort((a, b) => a.intent.startedAt.localeCompare(b.intent.startedAt));
  }

  /** The interrupted ingest of these same `paths` (absolute) and `prefix`, if there is one. */
  interruptedOf(paths: readonly string[], prefix: string): Promise<InterruptedIngest | undefined> {
    return this.#interruptedById(ingestIdOf(paths, prefix));
  }

  /** Records `intent` (in place of an interrupted ingest of the same paths) before its first file is stored. */
  async begin(intent: IngestIntent): Promise<IngestProgress> {
    const id = ingestIdOf(intent.paths, intent.prefix);
    const intentFile = join(this.dir, `${id}.json`);
    const progressFile = join(this.dir, `${id}.progress.json`);
    // The old count must never be read against the new list.
    await rm(progressFile, { force: true });
    await this.#write(intentFile, intent);
    return {
      stored: (count) => this.#write(progressFile, { stored: count }),
      finish: async () => {
        await rm(intentFile, { force: true });
        await rm(progressFile, { force: true });
      },
    };
  }

  async #interruptedById(id: string): Promise<InterruptedIngest | undefined> {
    const intent = await this.#read<IngestIntent>(`${id}.json`);
    if (!intent) return undefined;
    const progress = await this.#read<{ stored: number }>(`${id}.progress.json`);
    return { intent, stored: Math.min(progress?.stored ?? 0, intent.files.length) };
  }

  async #write(file: string, content: unknown): Promise<void> {
    await writeFileAtomic(file, JSON.stringify(content), join(this.dir, ".tmp"), this.#durability);
  }

  async #read<T>(name: string): Promise<T | undefined> {
    try {
      return JSON.parse(await readFile(join(this.dir, name), "utf8")) as T;
    } catch (error) {
      // Gone, or emptied by a power cut (written without fsync): nothing to resume from it.
      if (isFsError(error, "ENOENT") || error instanceof SyntaxError) return undefined;
      throw error;
    }
  }
}

/** An intent's file name: the id, 16 hex digits. */
const INTENT_FILE = /^[0-9a-f]{16}\.json$/;

/** The id of the ingest of `paths` with `prefix`: the same paths and prefix are the same ingest. */
function ingestIdOf(paths: readonly string[], prefix: string): string {
  return createHash("sha256")
    .update(JSON.stringify([paths, prefix]))
    .digest("hex")
    .slice(0, 16);
}
