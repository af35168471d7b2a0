#!/usr/bin/env node
// The bundler is TypeScript consumed as source like every Sluice package; tsx compiles it on
// the fly (with the same esbuild the bundler uses), so there is no build step to keep in sync.
require("tsx/cjs/api").register();
const { main } = require("../src/cli.ts");

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`sluice-bundle: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
