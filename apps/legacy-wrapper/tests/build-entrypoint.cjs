// Jest globalSetup: the process tests run the built entrypoint (dist/entrypoint.mjs), so build it
// from the current sources first; `pnpm --filter @sluice/legacy-wrapper test` then works on a
// clean tree as well as under turbo (where the build task already ran).
const { execFileSync } = require("node:child_process");
const { join } = require("node:path");

module.exports = () => {
  execFileSync("pnpm", ["run", "build"], { cwd: join(__dirname, ".."), stdio: "ignore" });
};
