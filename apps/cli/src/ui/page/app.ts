import type { DashboardSnapshot, ObjectDetail } from "../dashboard-types";
import { h } from "./dom";
import { deadLettersView, objectsView, objectView, overviewView, type ViewActions } from "./views";

/** The page: a snapshot pushed by the server (server-sent events), one view per `#/` route. */
let snapshot: DashboardSnapshot | undefined;
let detail: ObjectDetail | undefined;

const main = document.getElementById("main")!;
const notice = document.getElementById("notice")!;
const live = document.getElementById("live")!;
const sourceLine = document.getElementById("source")!;

const actions: ViewActions = {
  redrive(queue, messages) {
    if (!window.confirm(`Redrive ${messages} message(s) from ${queue} back to its queue?`)) return;
    void act(`/api/dlq/${encodeURIComponent(queue)}/redrive`, `Redriving ${queue}…`);
  },
  replay(runId, key) {
    if (!window.confirm(`Replay ${key}? Its file goes through the pipeline again.`)) return;
    void act(`/api/objects/${encodeURIComponent(runId)}/replay`, `Replaying ${key}…`);
  },
};

/** Runs an action through the API and says how it went in the status line. */
async function act(url: string, doing: string): Promise<void> {
  say(doing);
  const response = await fetch(url, { method: "POST", headers: { "x-sluice-action": "1" } });
  const body = (await response.json()) as { error?: string; exitCode?: number; messages?: string[] };
  if (!response.ok) say(`Failed: ${body.error ?? body.messages?.join(" ") ?? response.statusText}`);
  else say(`Done (exit ${body.exitCode}).${body.messages?.length ? ` ${body.messages.join(" ")}` : ""}`);
  await render();
}

function say(text: string): void {
  notice.textContent = text;
}

/** The route: `#/`, `#/objects`, `#/objects/<run id>`, `#/dlq`. */
function route(): { view: "overview" | "objects" | "object" | "dlq"; runId?: string } {
  const hash = location.hash.replace(/^#\/?/, "");
  if (hash.startsWith("objects/")) return { view: "object", runId: decodeURIComponent(hash.slice(8)) };
  if (hash === "objects") return { view: "objects" };
  if (hash === "dlq") return { view: "dlq" };
  return { view: "overview" };
}

/** Something that finds the focused element again after a redraw (a link by href, a button by id). */
function focusKey(): string | undefined {
  const active = document.activeElement;
  if (!active || !main.contains(active)) return undefined;
  if (active.id) return `#${CSS.escape(active.id)}`;
  const href = active.getAttribute("href");
  if (href) return `[href="${CSS.escape(href)}"]`;
  const queue = active.getAttribute("data-redrive");
  return queue ? `[data-redrive="${CSS.escape(queue)}"]` : undefined;
}

async function render(): Promise<void> {
  if (!snapshot) return;
  const { view, runId } = route();
  for (const link of document.querySelectorAll("nav a")) {
    const current = link.getAttribute("data-view") === (view === "object" ? "objects" : view);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  let content: HTMLElement;
  if (view === "object") {
    const response = await fetch(`/api/objects/${encodeURIComponent(runId!)}`);
    detail = response.ok ? ((await response.json()) as ObjectDetail) : undefined;
    content = detail ? objectView(snapshot, detail, actions) : h("p", {}, `No run ${runId}.`);
  } else if (view === "objects") content = objectsView(snapshot);
  else if (view === "dlq") content = deadLettersView(snapshot, actions);
  else content = overviewView(snapshot);
  const refocus = focusKey();
  main.replaceChildren(content);
  if (refocus) (main.querySelector(refocus) as HTMLElement | null)?.focus();
  const parked = snapshot.deadLetterQueues.reduce((n, q) => n + q.messages.length, 0);
  document.getElementById("dlq-count")!.textContent = parked > 0 ? ` (${parked})` : "";
  sourceLine.textContent = `${snapshot.source.kind === "local" ? "State directory" : "Deployed"} ${snapshot.source.where} · actions ${snapshot.actions.allowed ? "on" : "off (start with --allow-actions)"}${snapshot.source.notes.length ? ` · ${snapshot.source.notes.join(" ")}` : ""}`;
  main.setAttribute("aria-busy", "false");
}

function connect(): void {
  const stream = new EventSource("/api/stream");
  stream.onopen = () => {
    live.textContent = "live";
    live.className = "live on";
  };
  stream.onmessage = (message) => {
    snapshot = JSON.parse(message.data) as DashboardSnapshot;
    live.textContent = `live · updated ${new Date(snapshot.generatedAt).toLocaleTimeString()}`;
    void render();
  };
  stream.onerror = () => {
    live.textContent = "reconnecting…";
    live.className = "live off";
  };
}

window.addEventListener("hashchange", () => {
  void render().then(() => document.getElementById("main")?.focus());
});
connect();
