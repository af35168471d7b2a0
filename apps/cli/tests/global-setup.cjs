// Jest globalSetup, once before every test file:
// - the container route spawns the legacy wrapper's built entrypoint. Under turbo it is built
//   before these tests run; run alone (`pnpm --filter @sluice/cli test`) on a clean tree, build it here.
// - some tests run the real `sluice` binary in their own processes (a kill -9, runtimes started
//   together): build it from the current sources, once, before any test file can start one.
const { execFileSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

module.exports = () => {
  const legacyWrapper = join(__dirname, "..", "..", "legacy-wrapper");
  if (!existsSync(join(legacyWrapper, "dist", "entrypoint.mjs")))
    execFileSync("pnpm", ["run", "build"], { cwd: legacyWrapper, stdio: "ignore" });
  execFileSync("pnpm", ["run", "build"], { cwd: join(__dirname, ".."), stdio: "ignore" });
};
