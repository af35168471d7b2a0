module.exports = {
  ...require("../../jest.preset.cjs"),
  globalSetup: "<rootDir>/tests/global-setup.cjs",
  // The Parquet reader and writer ship as ES modules only: compile them for Jest's CommonJS
  // runtime like our own sources (pnpm keeps them under node_modules/.pnpm/<name>@<version>/node_modules/).
  transformIgnorePatterns: [
    "/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|fzstd)/)",
  ],
};
