import { createLogger } from "../../src";

/** What `write` of stdout and stderr got while `act` ran. */
function captured(act: () => void): { stdout: string; stderr: string } {
  const out = { stdout: "", stderr: "" };
  const stdout = jest.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.stdout += String(chunk);
    return true;
  });
  const stderr = jest.spyOn(process.stderr, "write").mockImplementation((chunk) => {
    out.stderr += String(chunk);
    return true;
  });
  try {
    act();
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  return out;
}

const linesOf = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("createLogger", () => {
  it("with `stderr`, prints every level on stderr, its children too, and nothing on stdout", () => {
    const { stdout, stderr } = captured(() => {
      const logger = createLogger("transform", { level: "DEBUG", stderr: true });
      logger.debug("reading", { runId: "r-1" });
      logger.info("object staged", { rows: 3 });
      logger.createChild({ persistentKeys: { messageId: "m-1" } }).info("received");
      logger.error("failed");
    });

    expect(stdout).toBe("");
    expect(linesOf(stderr)).toMatchObject([
      { level: "DEBUG", message: "reading", phase: "transform", runId: "r-1" },
      { level: "INFO", message: "object staged", rows: 3 },
      { level: "INFO", message: "received", phase: "transform", messageId: "m-1" },
      { level: "ERROR", message: "failed" },
    ]);
  });

  it("without it, prints INFO on stdout and errors on stderr, as Lambda reads them", () => {
    const { stdout, stderr } = captured(() => {
      const logger = createLogger("loader", { level: "INFO" });
      logger.info("loaded");
      logger.error("failed");
    });

    expect(linesOf(stdout)).toMatchObject([{ level: "INFO", message: "loaded", phase: "loader" }]);
    expect(linesOf(stderr)).toMatchObject([{ level: "ERROR", message: "failed" }]);
  });
});
