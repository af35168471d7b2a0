import { execFile, execFileSync } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { samplesDir } from "../../src";
import { eraseLinesAbove } from "../../src/report/progress";
import { CLI_BUNDLE } from "../support/browser";
import { DRAIN_TIMEOUT_MS, E2E_TEST_TIMEOUT_MS, tempStateDir } from "../support/harness";
import { screenOf } from "../support/terminal-screen";

jest.setTimeout(E2E_TEST_TIMEOUT_MS);

/** util-linux `script` gives the command a pseudo-terminal, so the CLI sees a TTY. */
function hasScript(): boolean {
  try {
    execFileSync("script", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
const itWithPty = hasScript() ? it : it.skip;

/** Quotes `word` for the shell `script -c` runs the command with. */
const quoted = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;

describe("sluice run on a terminal", () => {
  itWithPty("redraws one progress block in place instead of appending lines", async () => {
    const { dir, cleanup } = await tempStateDir();
    try {
      const command = [
        process.execPath,
        CLI_BUNDLE,
        "--state-dir",
        join(dir, "state"),
        "run",
        join(samplesDir(), "raw"),
      ]
        .map(quoted)
        .join(" ");

      const { stdout } = await promisify(execFile)("script", ["-qfec", command, "/dev/null"], {
        timeout: DRAIN_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        env: { ...process.env, COLUMNS: "200", LINES: "50" },
      }).catch((error: { stdout?: string; code?: number }) => {
        // Exit 3: the sample meant to be quarantined is; the output is what this test reads.
        if (error.code === 3 && error.stdout) return { stdout: error.stdout };
        throw error;
      });

      expect(stdout).toContain(eraseLinesAbove(2));
      const screen = screenOf(stdout.replaceAll("\r\n", "\n"));
      const blocks = screen.filter((line) => line.startsWith("objects "));
      expect(blocks).toEqual([
        "objects 7: 0 stored · 0 received · 0 staged · 6 loaded · 1 quarantined · 0 failed · 0 retrying",
      ]);
      expect(screen.filter((line) => line.startsWith("rows "))).toHaveLength(1);
      expect(screen.some((line) => line.includes("Spring sale+promo 100% café ☕.csv"))).toBe(true);
    } finally {
      await cleanup();
    }
  });
});
