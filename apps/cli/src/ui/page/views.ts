import { RUN_STATES } from "../../status/run-states";
import type { DashboardSnapshot, ObjectDetail } from "../dashboard-types";
import { throughputChart } from "./chart";
import { formatCount, formatMs, h, stateBadge, table, timeOf } from "./dom";

/** What a view can ask the page to do. */
export interface ViewActions {
  redrive(queue: string, messages: number): void;
  replay(runId: string, key: string): void;
}

/** A button that runs an action, disabled (and saying why) when actions are off. */
function actionButton(
  snapshot: DashboardSnapshot,
  text: string,
  onClick: () => void,
  extra = {},
): HTMLElement {
  const off = !snapshot.actions.allowed;
  const button = h(
    "button",
    {
      type: "button",
      disabled: off,
      title: off ? "start `sluice ui --allow-actions` to enable" : undefined,
      ...extra,
    },
    text,
  );
  button.addEventListener("click", onClick);
  return button;
}

/** Datasets with their contracts and counts, throughput over time, and per-phase durations. */
export function overviewView(snapshot: DashboardSnapshot): HTMLElement {
  const datasets = table(
    "Datasets",
    ["Dataset", "Contract", "Objects", "Rows loaded", "Rows rejected", "Quarantined"],
    snapshot.datasets.map((d) => [
      h("strong", {}, d.name),
      d.contract
        ? h(
            "span",
            { class: "contract" },
            `${d.contract.format} → ${d.contract.table}, ${d.contract.fields} fields`,
            d.contract.primaryKey.length > 0 ? `, key ${d.contract.primaryKey.join(", ")}` : "",
            `, route ${d.contract.route}`,
            d.contract.maxBadRowRatio !== undefined
              ? `, quarantine over ${d.contract.maxBadRowRatio * 100}% bad rows`
              : "",
          )
        : h("em", {}, "no contract"),
      h(
        "span",
        { class: "states" },
        RUN_STATES.filter((s) => d.objects[s]).map((s) => stateBadge(s, `${d.objects[s]} ${s}`)),
      ),
      formatCount(d.rowsLoaded),
      formatCount(d.rowsRejected),
      formatCount(d.objects.quarantined ?? 0),
    ]),
  );
  const phases = table(
    "Phase durations",
    ["Dataset", "Phase", "Runs", "Median", "Longest"],
    snapshot.phases.map((p) => [p.dataset, p.phase, p.runs, formatMs(p.medianMs), formatMs(p.maxMs)]),
  );
  const { throughput } = snapshot;
  return h(
    "section",
    { "aria-labelledby": "overview-title" },
    h("h2", { id: "overview-title" }, "Overview"),
    datasets,
    h(
      "div",
      { class: "charts" },
      h(
        "figure",
        {},
        h("figcaption", {}, "Rows loaded per second"),
        throughputChart(throughput, "rowsPerSecond", "rows/s"),
      ),
      h(
        "figure",
        {},
        h("figcaption", {}, "Objects finished per second"),
        throughputChart(throughput, "objectsPerSecond", "objects/s"),
      ),
    ),
    throughput.points.length === 0 ? h("p", {}, "No object has finished yet.") : "",
    phases,
  );
}

/** Every object's latest run, each key a link to its page. */
export function objectsView(snapshot: DashboardSnapshot): HTMLElement {
  if (snapshot.objects.length === 0)
    return h(
      "section",
      {},
      h("h2", {}, "Objects"),
      h("p", {}, "No objects yet: try `sluice demo` or `sluice run <files>`."),
    );
  return h(
    "section",
    { "aria-labelledby": "objects-title" },
    h("h2", { id: "objects-title" }, "Objects"),
    table(
      `${snapshot.objects.length} objects, latest run of each`,
      ["Object", "Dataset", "Route", "Status", "Rows", "Loaded", "Rejected", "Stage", "Load"],
      snapshot.objects.map((o) => [
        h("a", { href: `#/objects/${encodeURIComponent(o.runId)}`, "data-key": o.key }, o.key),
        o.dataset ?? "-",
        o.route ?? "-",
        h(
          "span",
          {},
          stateBadge(o.state, o.stateText),
          o.message ? h("div", { class: "why" }, o.message) : "",
        ),
        formatCount(o.rows),
        formatCount(o.rowsLoaded),
        formatCount(o.rowsRejected),
        formatMs(o.stageMs),
        formatMs(o.loadMs),
      ]),
    ),
  );
}

/** One object: its timeline, why it stopped, its rejected rows, its ledger entry, a replay button. */
export function objectView(
  snapshot: DashboardSnapshot,
  detail: ObjectDetail,
  actions: ViewActions,
): HTMLElement {
  const { run, rejects } = detail;
  const facts: [string, HTMLElement | string][] = [
    ["Run", h("code", {}, run.runId)],
    ["Dataset", run.dataset ?? "-"],
    ["Route", run.route ?? "-"],
    ["Status", stateBadge(run.state, detail.stateText)],
  ];
  if (run.message) facts.push(["Why", h("span", { class: "why" }, run.message)]);
  if (run.rows)
    facts.push(["Rows", `${run.rows.total} read, ${run.rows.staged} staged, ${run.rows.rejected} rejected`]);
  if (run.parts)
    facts.push(["Parts", `${run.parts.staged} of ${run.parts.total ?? `${run.parts.requested}+`} staged`]);
  if (run.unsplitReason) facts.push(["Not split", run.unsplitReason]);
  if (run.load)
    facts.push([
      "Loaded",
      `into ${run.load.table}: ${run.load.inserted} inserted, ${run.load.updated} updated, ${run.load.unchanged} unchanged`,
    ]);
  const ledger = run.ledger
    ? table(
        "Ledger entry",
        ["Status", "Deliveries", "Loaded at", "Inserted", "Updated", "Unloaded at"],
        [
          [
            run.ledger.status,
            run.ledger.attempts,
            timeOf(run.ledger.loadedAt ?? undefined),
            run.ledger.inserted,
            run.ledger.updated,
            timeOf(run.ledger.unloadedAt ?? undefined),
          ],
        ],
      )
    : h("p", {}, "No ledger entry (not loaded yet, or the database is not readable now).");
  const rejected = rejects.rejections.length
    ? table(
        `Rejected rows: ${rejects.counts.transform} by the transform, ${rejects.counts.loader + rejects.loaderUnlisted} by the loader`,
        ["Source", "Line", "Field", "Reason", "Value"],
        rejects.rejections.map((r) => [
          r.source,
          r.line,
          h("code", {}, r.field),
          r.reason,
          h("code", {}, r.value ?? ""),
        ]),
      )
    : h("p", {}, rejects.files.length ? "No rejected rows." : "No rejects file: the run was not staged.");
  const firstRejections = run.firstRejections?.length
    ? table(
        "First rejections (quarantine)",
        ["Line", "Field", "Reason"],
        run.firstRejections.map((r) => [r.line, r.field, r.reason]),
      )
    : "";
  return h(
    "section",
    { "aria-labelledby": "object-title" },
    h("p", {}, h("a", { href: "#/objects" }, "← All objects")),
    h("h2", { id: "object-title" }, run.key),
    h(
      "dl",
      { class: "facts" },
      facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
    ),
    h("h3", {}, "Timeline"),
    h(
      "ol",
      { class: "timeline" },
      detail.timeline.map((step) => h("li", {}, stateBadge(step.step), " ", timeOf(step.at))),
      run.deadLetters.map((d) =>
        h("li", {}, stateBadge("dead-lettered", `in ${d.queue}`), ` after ${d.receiveCount} receives`),
      ),
    ),
    h("p", {}, `Stage ${formatMs(run.durations.stageMs)} · load ${formatMs(run.durations.loadMs)}`),
    firstRejections,
    rejected,
    ledger,
    snapshot.actions.replay
      ? h(
          "p",
          {},
          actionButton(snapshot, "Replay this object", () => actions.replay(run.runId, run.key), {
            id: "replay",
          }),
        )
      : "",
  );
}

/** The dead-letter queues, their messages, and a redrive button each. */
export function deadLettersView(snapshot: DashboardSnapshot, actions: ViewActions): HTMLElement {
  return h(
    "section",
    { "aria-labelledby": "dlq-title" },
    h("h2", { id: "dlq-title" }, "Dead-letter queues"),
    snapshot.deadLetterQueues.map((queue) =>
      h(
        "div",
        { class: "queue", "data-queue": queue.name },
        h(
          "h3",
          {},
          `${queue.name} `,
          h(
            "span",
            { class: "count" },
            `(${queue.messages.length} message${queue.messages.length === 1 ? "" : "s"})`,
          ),
        ),
        queue.messages.length === 0
          ? h("p", {}, "Empty.")
          : [
              table(
                `Messages in ${queue.name}`,
                ["Message", "Receives", "Sent", "Object"],
                queue.messages.map((m) => [
                  h("code", {}, m.messageId),
                  m.receiveCount,
                  timeOf(m.sentAt),
                  m.subject,
                ]),
              ),
              actionButton(
                snapshot,
                `Redrive ${queue.name}`,
                () => actions.redrive(queue.name, queue.messages.length),
                {
                  "data-redrive": queue.name,
                },
              ),
            ],
      ),
    ),
  );
}
