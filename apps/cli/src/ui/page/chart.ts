import type { ThroughputView } from "../dashboard-types";

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 600;
const HEIGHT = 140;
const PAD = { left: 48, right: 8, top: 10, bottom: 22 };

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

/**
 * A line chart of one throughput series drawn as inline SVG (no library: two polylines and a
 * few labels). It carries a text summary for screen readers; the table beside it has the numbers.
 */
export function throughputChart(
  view: ThroughputView,
  series: "rowsPerSecond" | "objectsPerSecond",
  label: string,
): SVGSVGElement {
  const values = view.points.map((point) => point[series]);
  const max = Math.max(1, ...values);
  const root = svg("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "img",
    class: "chart",
    "aria-label": `${label}: peak ${max}, over ${view.points.length} buckets of ${view.bucketMs / 1000} s`,
  });
  const x = (i: number) =>
    PAD.left + (values.length <= 1 ? 0 : (i * (WIDTH - PAD.left - PAD.right)) / (values.length - 1));
  const y = (v: number) => HEIGHT - PAD.bottom - (v / max) * (HEIGHT - PAD.top - PAD.bottom);
  root.append(
    svg("line", { x1: PAD.left, y1: y(0), x2: WIDTH - PAD.right, y2: y(0), class: "axis" }),
    svg("line", { x1: PAD.left, y1: y(max), x2: WIDTH - PAD.right, y2: y(max), class: "grid" }),
  );
  const tick = (text: string, attributes: Record<string, string | number>) => {
    const element = svg("text", attributes);
    element.textContent = text;
    root.append(element);
  };
  tick(String(max), { x: PAD.left - 6, y: y(max) + 4, "text-anchor": "end" });
  tick("0", { x: PAD.left - 6, y: y(0) + 4, "text-anchor": "end" });
  const first = view.points[0];
  const last = view.points.at(-1);
  if (first) tick(new Date(first.at).toLocaleTimeString(), { x: PAD.left, y: HEIGHT - 6 });
  if (last && last !== first)
    tick(new Date(last.at).toLocaleTimeString(), {
      x: WIDTH - PAD.right,
      y: HEIGHT - 6,
      "text-anchor": "end",
    });
  if (values.length === 1) root.append(svg("circle", { cx: x(0), cy: y(values[0]!), r: 4, class: "line" }));
  else
    root.append(
      svg("polyline", {
        points: values.map((v, i) => `${x(i)},${y(v)}`).join(" "),
        class: "line",
        fill: "none",
      }),
    );
  return root;
}
