#!/usr/bin/env node
// Size and cold-import time of the Lambda zips in the given folders (default dist/).
require("tsx/cjs/api").register();
const { benchMain } = require("../src/bench.ts");

benchMain(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(`sluice-bundle-bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
