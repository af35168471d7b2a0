/**
 * Shared Jest preset: every package's jest.config.cjs spreads this.
 * TypeScript is compiled by @swc/jest (type-checking is the separate `check-types` task).
 */
module.exports = {
  testEnvironment: "node",
  transform: {
    "^.+\\.(t|j)sx?$": [
      require.resolve("@swc/jest"),
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "commonjs" } },
    ],
  },
  // The Parquet reader and writer, and string-width (display width of table cells) with its
  // dependencies, ship as ES modules only: compile them for Jest's CommonJS runtime like our own
  // sources (pnpm keeps them under node_modules/.pnpm/<name>@<version>/node_modules/).
  transformIgnorePatterns: [
    "/node_modules/(?!(\\.pnpm/[^/]+/node_modules/)?(hyparquet|hyparquet-compressors|hyparquet-writer|hysnappy|fzstd|string-width|strip-ansi|ansi-regex|get-east-asian-width)/)",
  ],
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  moduleFileExtensions: ["ts", "js", "json", "cjs", "mjs"],
  // A time limit is a deadline against hangs, not a speed test. Jest's 5 s default failed
  // integration tests (a multipart upload to s3rver, a PGlite start) while a second `pnpm test`
  // ran on this 2-core machine; slower tests set a longer limit of their own.
  testTimeout: 60_000,
};
