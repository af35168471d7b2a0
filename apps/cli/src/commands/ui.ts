import { spawn } from "node:child_process";
import type { CommandHandler } from "../context";
import { EXIT } from "../exit-codes";
import type { AwsOptions } from "../status/aws-sources";
import { dashboardActions } from "../ui/actions";
import { startDashboardServer } from "../ui/server";
import { dashboardSource } from "../ui/sources";

/** Options of `sluice ui`. */
export interface UiOptions extends AwsOptions {
  aws?: boolean;
  /** 0: any free port. */
  port: number;
  /** Open the page in the default browser. */
  open: boolean;
  /** Enable the redrive and replay buttons (and the API behind them). */
  allowActions: boolean;
  /** How often the page's data is looked at for changes. */
  refreshMs: number;
  /** How long an action waits for the pipeline to drain. */
  timeoutMs: number;
}

/** Default `--port` of `sluice ui`. */
export const DEFAULT_UI_PORT = 4173;

/**
 * `sluice ui`: a web page on 127.0.0.1 showing what `sluice status` reads (the state directory,
 * or a deployed environment with `--env`/`--outputs`), live, until Ctrl-C. Redrive and replay
 * buttons work only with `--allow-actions`. It never takes the runtime's lock: `sluice run` and
 * `watch` go on beside it.
 */
export const ui: CommandHandler<UiOptions> = async (options, { globals, reporter, io }) => {
  const source = await dashboardSource(options, globals);
  const server = await startDashboardServer({
    source,
    globals,
    ...(options.allowActions
      ? { actions: dashboardActions({ globals, aws: options, timeoutMs: options.timeoutMs }) }
      : {}),
    port: options.port,
    refreshMs: options.refreshMs,
    onError: (error) => reporter.note(`sluice ui: ${error instanceof Error ? error.message : String(error)}`),
  });
  io.out(
    `sluice ui: ${server.url} (${source.kind === "local" ? source.where : `deployed: ${source.where}`}; actions ${options.allowActions ? "on" : "off"}) — Ctrl-C stops`,
  );
  if (options.open) openInBrowser(server.url);
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  await server.close();
  return EXIT.ok;
};

/** Opens `url` with the desktop's opener; a machine without one just keeps the printed URL. */
function openInBrowser(url: string): void {
  const [command, ...args] =
    process.platform === "darwin"
      ? ["open", url]
      : process.platform === "win32"
        ? ["cmd", "/c", "start", "", url]
        : ["xdg-open", url];
  const child = spawn(command!, args, { stdio: "ignore", detached: true });
  child.on("error", () => undefined);
  child.unref();
}
