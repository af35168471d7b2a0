import { rm } from "node:fs/promises";
import { dirname } from "node:path";
import { PGLITE_TEMPLATE_ENV } from "./support/pglite-template";

/** Jest global teardown: removes the template data directory the global setup wrote. */
export default async function globalTeardown(): Promise<void> {
  const path = process.env[PGLITE_TEMPLATE_ENV];
  if (path) await rm(dirname(path), { recursive: true, force: true });
}
