module.exports = {
  ...require("../../jest.preset.cjs"),
  globalSetup: "<rootDir>/tests/build-legacy-entrypoint.cjs",
};
