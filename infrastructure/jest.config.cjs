module.exports = {
  ...require("../jest.preset.cjs"),
  // Synths and placeholder bundles write to a temporary directory of the run's own, removed after it.
  globalSetup: "<rootDir>/tests/support/tmpdir-setup.cjs",
  globalTeardown: "<rootDir>/tests/support/tmpdir-teardown.cjs",
};
