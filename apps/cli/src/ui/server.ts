import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { ConfigError } from "@sluice/core";
import type { GlobalOptions } from "../context";
import type { DashboardActions } from "./actions";
import type { DashboardSnapshot } from "./dashboard-types";
import { type DashboardSource, readObjectDetail, readSnapshot } from "./sources";

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  source: DashboardSource;
  globals: GlobalOptions;
  /** Redrive and replay: refused (403) unless given (`--allow-actions`). */
  actions?: DashboardActions;
  /** 0: any free port. */
  port: number;
  /** How often to look for changes while a page is open. */
  refreshMs: number;
  /** The built page (index.html, app.js, style.css); default: found beside the bundle. */
  assetsDir?: string;
  /** Told about a refresh that failed (the page keeps the last snapshot). */
  onError?: (error: unknown) => void;
}

/** A running dashboard server. */
export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

const ASSETS: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/style.css": { file: "style.css", type: "text/css; charset=utf-8" },
};

/** The header a page must send with an action: a cross-site form or image cannot set it. */
export const ACTION_HEADER = "x-sluice-action";

/** Where the built page is: `dist/ui` beside the bundle, or of this package when run from source. */
export function dashboardAssetsDir(): string {
  for (const candidate of [join(__dirname, "ui"), join(__dirname, "..", "..", "dist", "ui")])
    if (existsSync(join(candidate, "index.html"))) return candidate;
  throw new ConfigError("the dashboard page is not built: run `pnpm --filter @sluice/cli build`");
}

/**
 * Serves the dashboard on 127.0.0.1: the page, `GET /api/snapshot`, `GET /api/stream`
 * (server-sent events: a snapshot whenever what status reads changed), `GET /api/objects/<run>`,
 * and, with actions, `POST /api/dlq/<queue>/redrive` and `POST /api/objects/<run>/replay`.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const assetsDir = options.assetsDir ?? dashboardAssetsDir();
  const streams = new Set<ServerResponse>();
  let snapshot: DashboardSnapshot | undefined;
  let snapshotJson = "";
  let fingerprint: string | undefined;
  let refreshing: Promise<void> | undefined;
  let busy = false;

  /** Reads the sources again when they changed; one read at a time, streams told of a new snapshot. */
  const refresh = (force = false): Promise<void> => {
    refreshing ??= (async () => {
      try {
        const now = await options.source.fingerprint();
        if (!force && snapshot && now !== undefined && now === fingerprint) return;
        const next = await readSnapshot(options.source, options.globals, options.actions !== undefined);
        fingerprint = now;
        snapshot = next;
        const { generatedAt: _, ...content } = next;
        const json = JSON.stringify(content);
        if (json === snapshotJson) return;
        snapshotJson = json;
        for (const stream of streams) stream.write(`data: ${JSON.stringify(next)}\n\n`);
      } catch (error) {
        options.onError?.(error);
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  };
  const timer = setInterval(() => {
    if (streams.size > 0) void refresh();
  }, options.refreshMs);

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) send(response, 500, { error: String(error) });
      else response.end();
    });
  });

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const { port } = server.address() as AddressInfo;
    // Only this machine's names: a page of another site cannot reach it through DNS rebinding.
    if (![`127.0.0.1:${port}`, `localhost:${port}`].includes(request.headers.host ?? ""))
      return send(response, 421, { error: "unexpected Host" });
    const path = new URL(request.url ?? "/", `http://127.0.0.1:${port}`).pathname;
    const asset = ASSETS[path];
    if (request.method === "GET" && asset) {
      const body = await readFile(join(assetsDir, asset.file));
      response.writeHead(200, { "content-type": asset.type, "cache-control": "no-store" });
      return response.end(body);
    }
    if (request.method === "GET" && path === "/api/snapshot") {
      await refresh();
      return send(response, 200, snapshot);
    }
    if (request.method === "GET" && path === "/api/stream") {
      response.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      streams.add(response);
      request.on("close", () => streams.delete(response));
      await refresh();
      if (snapshot) response.write(`data: ${JSON.stringify(snapshot)}\n\n`);
      return;
    }
    const object = /^\/api\/objects\/([^/]+)$/.exec(path);
    if (request.method === "GET" && object) {
      const detail = await readObjectDetail(options.source, decodeURIComponent(object[1]!));
      return detail ? send(response, 200, detail) : send(response, 404, { error: "no such run" });
    }
    const redrive = /^\/api\/dlq\/([^/]+)\/redrive$/.exec(path);
    const replay = /^\/api\/objects\/([^/]+)\/replay$/.exec(path);
    if (request.method === "POST" && (redrive || replay)) {
      const { actions } = options;
      if (!actions)
        return send(response, 403, { error: "actions are off: start `sluice ui --allow-actions`" });
      if (request.headers[ACTION_HEADER] !== "1")
        return send(response, 403, { error: `missing ${ACTION_HEADER}` });
      if (busy) return send(response, 409, { error: "another action is running" });
      busy = true;
      try {
        let outcome: Awaited<ReturnType<DashboardActions["redrive"]>>;
        if (redrive) outcome = await actions.redrive(decodeURIComponent(redrive[1]!));
        else {
          const runId = decodeURIComponent(replay![1]!);
          if (!snapshot) await refresh();
          const run = snapshot?.objects.find((o) => o.runId === runId);
          if (!run) return send(response, 404, { error: "no such run" });
          outcome = await actions.replay(run.key);
        }
        await refresh(true);
        return send(response, outcome.ok ? 200 : 500, outcome);
      } finally {
        busy = false;
      }
    }
    return send(response, 404, { error: "not found" });
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      clearInterval(timer);
      for (const stream of streams) stream.end();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      await refreshing;
    },
  };
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
  });
  response.end(JSON.stringify(body ?? null));
}
