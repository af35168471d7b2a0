// Copies the shipped legacy programs (docker/legacy-wrapper/legacy/) beside the entrypoint
// bundle, into dist/legacy/, where the entrypoint looks for them by default. The Docker build
// places the same folder at the same path inside its pruned workspace before building.
const { cpSync, existsSync, rmSync } = require("node:fs");
const { join } = require("node:path");

const source = join(__dirname, "..", "..", "..", "docker", "legacy-wrapper", "legacy");
const target = join(__dirname, "..", "dist", "legacy");
if (!existsSync(source)) {
  console.error(`copy-legacy-programs: ${source} does not exist`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true });
console.log(`dist/legacy  <- ${source}`);
