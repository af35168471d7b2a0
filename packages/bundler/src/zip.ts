import { createWriteStream } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { ZipFile } from "yazl";

/**
 * The modification time stamped on every zip entry. Built from local date parts because DOS
 * timestamps store local time: the same parts give the same bytes in every time zone. 1980 is
 * the first year the format can hold.
 */
const FIXED_MTIME = new Date(1980, 0, 1, 0, 0, 0);

/** Regular file, rw-r--r--: the mode Lambda expects for handler files. */
const FILE_MODE = 0o100644;

/** Every file under `dir`, as forward-slash paths relative to it, sorted by code point. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Zips every file under `dir` into `zipPath` deterministically: entries sorted, one fixed
 * mtime and mode, no extended timestamps, so the same inputs give a byte-identical zip (and
 * Terraform's source hash changes only when the code does). Resolves with the zip's size.
 */
export async function writeDeterministicZip(dir: string, zipPath: string): Promise<number> {
  const zip = new ZipFile();
  for (const name of await filesUnder(dir)) {
    zip.addBuffer(await readFile(join(dir, name)), name, {
      mtime: FIXED_MTIME,
      mode: FILE_MODE,
      compress: true,
      compressionLevel: 9,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(zipPath));
  return (await stat(zipPath)).size;
}
