import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DEFAULT_RUNS, reportBundles, zipsIn } from "../src/bench";

/** The repository root: the nearest folder up from here holding pnpm-workspace.yaml. */
function repositoryRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, "pnpm-workspace.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no pnpm-workspace.yaml above ${from}`);
    dir = parent;
  }
  return dir;
}

/** Every app's Lambda zips (apps/<app>/dist/*.zip): size and cold import time of each. */
async function benchAllBundles(): Promise<number> {
  const root = repositoryRoot(__dirname);
  const apps = join(root, "apps");
  const dists = readdirSync(apps).map((app) => join(apps, app, "dist"));
  const runsArg = process.argv.indexOf("--runs");
  const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : DEFAULT_RUNS;
  return reportBundles(zipsIn(dists), { runs, root });
}

benchAllBundles().then((code) => {
  process.exitCode = code;
});
