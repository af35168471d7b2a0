import { readdir, stat } from "node:fs/promises";
import { basename, join, relative, resolve, sep } from "node:path";
import { CliError } from "../../errors";
import { EXIT } from "../../exit-codes";
import type { IngestFile, InterruptedIngest } from "../../runtime/ingest-journal";
import type { IngestedObject, LocalRuntime } from "../../runtime/local-runtime";

/** A file to ingest and the raw key it gets. */
export interface FileToIngest {
  path: string;
  key: string;
}

/** A file a folder holds that is not ingested, and why. */
export interface SkippedFile {
  path: string;
  reason: string;
}

/** The files to ingest, and those of the folders that are not. */
export interface IngestSelection {
  files: FileToIngest[];
  skipped: SkippedFile[];
}

/**
 * What a folder holds that is not data, by name: version-control folders, the files operating
 * systems and editors leave beside real ones. Every other file is ingested, dot-files too.
 */
const NOT_DATA: readonly { test: (name: string, isDirectory: boolean) => boolean; reason: string }[] = [
  { test: (name, dir) => dir && [".git", ".hg", ".svn"].includes(name), reason: "version-control folder" },
  { test: (name) => name === ".DS_Store" || name.startsWith("._"), reason: "macOS folder metadata" },
  { test: (name) => name === "Thumbs.db" || name === "desktop.ini", reason: "Windows folder metadata" },
  {
    test: (name) =>
      /^\..*\.sw[a-p]$/.test(name) || name.endsWith("~") || name.startsWith(".#") || /^#.*#$/.test(name),
    reason: "editor swap, backup or lock file",
  },
];

/**
 * The files named by `paths`: a directory contributes every file below it, keyed by its path
 * relative to that directory (so `samples/orders/a.csv` in `samples` is `orders/a.csv`); a file
 * is keyed by its name. `prefix` is put in front of every key. Below a folder, what is not data
 * (`.git`, `.DS_Store`, editor swap files, the state directory `skipDir`) is skipped and listed
 * with its reason; dot-files otherwise are ingested like any file. A file named itself is
 * always ingested.
 */
export async function filesToIngest(
  paths: readonly string[],
  prefix = "",
  options: { skipDir?: string } = {},
): Promise<IngestSelection> {
  const selection: IngestSelection = { files: [], skipped: [] };
  for (const path of paths) {
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(path);
    } catch {
      throw new CliError(`${path}: no such file or directory`, EXIT.usage);
    }
    if (info.isDirectory()) {
      for (const file of await walk(path, selection.skipped, options.skipDir)) {
        selection.files.push({ path: file, key: prefix + relative(path, file).split(sep).join("/") });
      }
    } else {
      selection.files.push({ path, key: prefix + basename(path) });
    }
  }
  return selection;
}

async function walk(dir: string, skipped: SkippedFile[], skipDir: string | undefined): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
    a.name.localeCompare(b.name),
  )) {
    const path = join(dir, entry.name);
    const isDirectory = entry.isDirectory();
    const notData = NOT_DATA.find((rule) => rule.test(entry.name, isDirectory));
    if (notData) skipped.push({ path, reason: notData.reason });
    else if (isDirectory && skipDir !== undefined && resolve(path) === skipDir)
      skipped.push({ path, reason: "the state directory" });
    else if (isDirectory) files.push(...(await walk(path, skipped, skipDir)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/** One line saying how many files were skipped and why, or nothing when none was. */
export function skippedSummary(skipped: readonly SkippedFile[]): string | undefined {
  if (skipped.length === 0) return undefined;
  const byReason = new Map<string, string[]>();
  for (const file of skipped)
    byReason.set(file.reason, [...(byReason.get(file.reason) ?? []), basename(file.path)]);
  const parts = [...byReason].map(
    ([reason, names]) =>
      `${names.length} ${reason} (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})`,
  );
  return `skipped ${skipped.length} file(s) that are not data: ${parts.join("; ")}`;
}

/** Streams each file into the raw bucket, telling `onStored` of each as soon as it is there. */
export async function ingestFiles(
  runtime: LocalRuntime,
  files: readonly FileToIngest[],
  onStored: (object: IngestedObject) => void = () => undefined,
): Promise<IngestedObject[]> {
  const ingested: IngestedObject[] = [];
  for (const file of files) {
    const object = await runtime.ingestFile(file.key, file.path);
    onStored(object);
    ingested.push(object);
  }
  return ingested;
}

/** What `sluice run <paths>` asked to ingest. */
export interface IngestRequest {
  paths: readonly string[];
  prefix: string;
  files: readonly FileToIngest[];
}

/** What {@link ingestRecorded} stored. */
export interface RecordedIngest {
  /** Every file's object, stored now or by the interrupted ingest this one finished. */
  ingested: IngestedObject[];
  /** When the interrupted ingest this one finished began: its objects' runs may have moved since. */
  resumedFrom?: string;
}

/**
 * Stores `request.files` as one recorded ingest (`IngestJournal`): its intent first, its progress
 * after each file, so a crash leaves an interrupted ingest the next run of the same paths
 * finishes. Taking one up, it says so through `note` and does not store again the files that
 * ingest stored and that did not change since (same path, size and modification time).
 * `onStored` hears of each file's object as soon as it is in the raw bucket.
 */
export async function ingestRecorded(
  runtime: LocalRuntime,
  request: IngestRequest,
  note: (line: string) => void,
  onStored: (object: IngestedObject) => void = () => undefined,
): Promise<RecordedIngest> {
  const paths = request.paths.map((path) => resolve(path));
  const earlier = await runtime.ingests.interruptedOf(paths, request.prefix);
  if (earlier) note(`resuming an interrupted ingest of ${describeIngest(earlier)}`);
  const unchanged = new Map((earlier?.intent.files.slice(0, earlier.stored) ?? []).map((f) => [f.key, f]));
  const files: IngestFile[] = [];
  for (const file of request.files) {
    const info = await stat(file.path);
    files.push({ ...file, path: resolve(file.path), size: info.size, mtimeMs: info.mtimeMs });
  }
  const progress = await runtime.ingests.begin({
    paths,
    prefix: request.prefix,
    files,
    startedAt: new Date().toISOString(),
  });
  const ingested: IngestedObject[] = [];
  for (const [index, file] of files.entries()) {
    const before = unchanged.get(file.key);
    const same = before?.path === file.path && before.size === file.size && before.mtimeMs === file.mtimeMs;
    const stored = same ? await runtime.ingested(file.key) : undefined;
    const object = stored ?? (await runtime.ingestFile(file.key, file.path));
    onStored(object);
    ingested.push(object);
    await progress.stored(index + 1);
  }
  await progress.finish();
  return earlier ? { ingested, resumedFrom: earlier.intent.startedAt } : { ingested };
}

/** `<paths>: N of M files were stored`, for the lines that name an interrupted ingest. */
export function describeIngest({ intent, stored }: InterruptedIngest): string {
  return `${intent.paths.join(", ")}: ${stored} of ${intent.files.length} files were stored`;
}
