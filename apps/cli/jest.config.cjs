module.exports = {
  ...require("../../jest.preset.cjs"),
  globalSetup: "<rootDir>/tests/global-setup.cjs",
};
