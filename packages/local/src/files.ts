import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";

/**
 * Writes `content` to `path` so a reader (or a restart after a crash) sees the old file or the
 * new one, never half of one: write a temporary file in `tmpDir` (same file system), then rename.
 */
export async function writeFileAtomic(path: string, content: string | Buffer, tmpDir: string): Promise<void> {
  await mkdir(tmpDir, { recursive: true });
  const tmp = join(tmpDir, `${randomUUID()}.tmp`);
  try {
    await writeFile(tmp, content);
    await mkdir(dirname(path), { recursive: true });
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

/** True when `error` is a Node.js file-system error with code `code` (e.g. `ENOENT`). */
export function isFsError(error: unknown, code: string): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === code;
}
