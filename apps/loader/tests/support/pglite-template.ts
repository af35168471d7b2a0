import { readFile, writeFile } from "node:fs/promises";
import { PGlite } from "@electric-sql/pglite";

/** Names the file holding the template data directory, set by the Jest global setup. */
export const PGLITE_TEMPLATE_ENV = "SLUICE_TEST_PGLITE_TEMPLATE";

/**
 * Writes the data directory of a freshly initialised PGlite to `path` (an uncompressed tar).
 * Starting PGlite from scratch runs initdb in WebAssembly (seconds of CPU, many times that on a
 * loaded 2-core machine); starting from this copy skips it, so every test file pays initdb once
 * per test run instead of once per file.
 */
export async function writePgliteTemplate(path: string): Promise<void> {
  const db = await PGlite.create();
  try {
    const tar = await db.dumpDataDir("none");
    await writeFile(path, Buffer.from(await tar.arrayBuffer()));
  } finally {
    await db.close();
  }
}

/**
 * An in-memory PGlite started from the template data directory when the global setup wrote one
 * (a test file run alone without it starts from scratch).
 */
export async function openTestPglite(): Promise<PGlite> {
  const template = process.env[PGLITE_TEMPLATE_ENV];
  if (!template) return PGlite.create();
  return PGlite.create({ loadDataDir: new Blob([await readFile(template)]) });
}
