import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, sep } from "node:path";
import { CliError } from "../../errors";
import { EXIT } from "../../exit-codes";
import type { IngestedObject, LocalRuntime } from "../../runtime/local-runtime";

/** A file to ingest and the raw key it gets. */
export interface FileToIngest {
  path: string;
  key: string;
}

/**
 * The files named by `paths`: a directory contributes every file below it, keyed by its path
 * relative to that directory (so `samples/orders/a.csv` in `samples` is `orders/a.csv`); a file
 * is keyed by its name. `prefix` is put in front of every key.
 */
export async function filesToIngest(paths: readonly string[], prefix = ""): Promise<FileToIngest[]> {
  const found: FileToIngest[] = [];
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new CliError(`${path}: no such file or directory`, EXIT.usage);
    }
    if (info.isDirectory()) {
      for (const file of await walk(path)) {
        found.push({ path: file, key: prefix + relative(path, file).split(sep).join("/") });
      }
    } else {
      found.push({ path, key: prefix + basename(path) });
    }
  }
  return found;
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    if (entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** Streams each file into the raw bucket. */
export async function ingestFiles(
  runtime: LocalRuntime,
  files: readonly FileToIngest[],
): Promise<IngestedObject[]> {
  const ingested: IngestedObject[] = [];
  for (const file of files) ingested.push(await runtime.ingest(file.key, createReadStream(file.path)));
  return ingested;
}
