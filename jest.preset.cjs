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
  testMatch: ["<rootDir>/tests/**/*.test.ts"],
  moduleFileExtensions: ["ts", "js", "json", "cjs", "mjs"],
};
