import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PGLITE_TEMPLATE_ENV, writePgliteTemplate } from "./support/pglite-template";

/**
 * Jest global setup: one initialised PGlite data directory for the whole run, which every
 * test file's PGlite starts from (see `writePgliteTemplate`). Test workers inherit the variable.
 */
export default async function globalSetup(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "sluice-loader-pglite-template-"));
  const path = join(dir, "pgdata.tar");
  await writePgliteTemplate(path);
  process.env[PGLITE_TEMPLATE_ENV] = path;
}
