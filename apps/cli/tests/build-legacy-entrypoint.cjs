// Jest globalSetup: the container route spawns the legacy wrapper's built entrypoint. Under turbo
// it is built before these tests run; run alone (`pnpm --filter @sluice/cli test`) on a clean
// tree, build it here.
const { execFileSync } = require("node:child_process");
const { existsSync } = require("node:fs");
const { join } = require("node:path");

module.exports = () => {
  const legacyWrapper = join(__dirname, "..", "..", "legacy-wrapper");
  if (existsSync(join(legacyWrapper, "dist", "entrypoint.mjs"))) return;
  execFileSync("pnpm", ["run", "build"], { cwd: legacyWrapper, stdio: "ignore" });
};
