import { randomUUID } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { type Durability, isFsError, writeFileAtomic } from "../files";

/** A put's promise to announce its object: written before the object is committed. */
export interface PendingNotification {
  key: string;
  /** The body file the put commits; the object is this put's only while its metadata names it. */
  body: string;
  sequencer: string;
}

/** A {@link PendingNotification} found on disk, and the file that holds it. */
export interface PendingNotificationFile {
  file: string;
  pending: PendingNotification;
}

/**
 * The notifications a bucket's puts owe, one file each under `<bucket>/.pending/` (a name no
 * escaped key segment can take). A put writes its file before it commits the object and removes
 * it once the notification sink took the notification, so a crash anywhere in between leaves
 * the file behind and the next start announces the object (`LocalObjectStore.recoverNotifications`):
 * an object is never stored without its event. A crash after the sink took it and before the
 * file went announces it twice, which at-least-once delivery allows.
 */
export class PendingNotifications {
  readonly #durability: Durability;

  constructor(durability: Durability = {}) {
    this.#durability = durability;
  }

  /** Records that `bucketDir`'s put of `pending.key` owes a notification; returns its file. */
  async record(bucketDir: string, pending: PendingNotification): Promise<string> {
    const file = join(bucketDir, ".pending", `${pending.sequencer}-${randomUUID()}.json`);
    await writeFileAtomic(file, JSON.stringify(pending), join(bucketDir, ".tmp"), this.#durability);
    return file;
  }

  /** The notification of `file` was taken: forget it. */
  async settle(file: string): Promise<void> {
    await rm(file, { force: true });
  }

  /** The notifications `bucketDir` still owes, oldest put first. */
  async list(bucketDir: string): Promise<PendingNotificationFile[]> {
    const dir = join(bucketDir, ".pending");
    let names: string[];
    try {
      names = (await readdir(dir)).filter((name) => name.endsWith(".json")).sort();
    } catch (error) {
      if (isFsError(error, "ENOENT")) return [];
      throw error;
    }
    const found: PendingNotificationFile[] = [];
    for (const name of names) {
      const file = join(dir, name);
      try {
        found.push({ file, pending: JSON.parse(await readFile(file, "utf8")) as PendingNotification });
      } catch (error) {
        // Emptied by a power cut (written without fsync): nothing to act on.
        if (error instanceof SyntaxError) await rm(file, { force: true });
        else if (!isFsError(error, "ENOENT")) throw error;
      }
    }
    return found;
  }
}
