// Jest globalSetup: the test files' temporary directory (`os.tmpdir()`, read from TMPDIR) is a
// private one for this run, removed by tmpdir-teardown.cjs. cdktf's `Testing.app()` makes an
// outdir there for every synth and never removes it, nor do the placeholder bundles.
const { mkdtempSync } = require("node:fs");
const { tmpdir } = require("node:os");
const { join } = require("node:path");

module.exports = () => {
  const dir = mkdtempSync(join(tmpdir(), "sluice-infrastructure-tests-"));
  process.env.SLUICE_INFRASTRUCTURE_TESTS_TMPDIR = dir;
  process.env.TMPDIR = dir;
};
