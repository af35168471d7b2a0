// Jest globalTeardown: removes the private temporary directory of tmpdir-setup.cjs.
const { rmSync } = require("node:fs");

module.exports = () => {
  const dir = process.env.SLUICE_INFRASTRUCTURE_TESTS_TMPDIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
};
