// The tests wait on conditions with generous deadlines (tests/helpers.ts WAIT_DEADLINE_MS), so
// Jest's own limit sits above them: a loaded machine fails a test with its reason, not a timeout.
module.exports = { ...require("../../jest.preset.cjs"), testTimeout: 30_000 };
