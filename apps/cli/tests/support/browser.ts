import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { Page } from "playwright-core";

/** The real binary, built from the current sources by the global setup. */
export const CLI_BUNDLE = join(__dirname, "..", "..", "dist", "sluice.cjs");

/** Where the README's screenshots live; written only with SLUICE_UPDATE_SCREENSHOTS=1. */
export const SCREENSHOTS_DIR = join(__dirname, "..", "..", "..", "..", "docs", "screenshots");

/**
 * The Chromium to drive: `SLUICE_CHROMIUM`, else the first of Debian's `chromium` (and the usual
 * other names) on the PATH; undefined when there is none. No browser is ever downloaded.
 */
export function findChromium(): string | undefined {
  if (process.env.SLUICE_CHROMIUM) return process.env.SLUICE_CHROMIUM;
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim() || undefined;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** A `sluice ui` running in its own process. */
export interface RunningUi {
  url: string;
  stop(): Promise<void>;
}

/** Starts `sluice <globals> ui --port 0 <args>` with the built binary and waits for its URL. */
export async function startUi(globals: readonly string[], args: readonly string[]): Promise<RunningUi> {
  const child: ChildProcessWithoutNullStreams = spawn(
    process.execPath,
    [CLI_BUNDLE, ...globals, "ui", "--port", "0", "--refresh", "200", ...args],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /sluice ui: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(output);
      if (found) resolve(found[1]!);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) =>
      reject(new Error(`sluice ui exited (${code}) before listening:\n${output}`)),
    );
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** Saves a screenshot of `page` for the README, only when SLUICE_UPDATE_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.SLUICE_UPDATE_SCREENSHOTS !== "1") return;
  await mkdir(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: true });
}
