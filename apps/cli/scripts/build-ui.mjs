// Builds the `sluice ui` page into dist/ui beside the CLI's bundle: src/ui/page/app.ts bundled
// for the browser by esbuild (one script, no framework, nothing fetched from a CDN), plus the
// HTML and CSS as they are. The server finds dist/ui next to dist/sluice.cjs.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const page = join(root, "src", "ui", "page");
const out = join(root, "dist", "ui");

await mkdir(out, { recursive: true });
await build({
  entryPoints: [join(page, "app.ts")],
  outfile: join(out, "app.js"),
  bundle: true,
  platform: "browser",
  format: "iife",
  target: "es2022",
  minify: true,
  legalComments: "none",
  logLevel: "warning",
});
for (const file of ["index.html", "style.css"]) await copyFile(join(page, file), join(out, file));
