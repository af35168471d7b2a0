module.exports = {
  ...require("../../jest.preset.cjs"),
  // One initialised PGlite data directory per run, so each test file's PGlite skips initdb.
  globalSetup: "<rootDir>/tests/global-setup.ts",
  globalTeardown: "<rootDir>/tests/global-teardown.ts",
};
