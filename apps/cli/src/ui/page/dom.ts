/** Children an element can be given: text, elements, or nothing (skipped). */
export type Child = Node | string | number | false | null | undefined | readonly Child[];

/**
 * Makes an element: `h("a", { href: "#/" }, "home")`. Text is always set as text, never parsed
 * as HTML, so an object key like `<b>` shows as written.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string | number | boolean | undefined> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Milliseconds as `850 ms` or `2.4 s`; a dash when unknown (as the CLI's tables say it). */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** A count with thousands separators; a dash when unknown. */
export function formatCount(n: number | undefined): string {
  return n === undefined ? "-" : n.toLocaleString("en-US");
}

/** A time as the browser's local time of day, with the ISO time on hover. */
export function timeOf(iso: string | undefined): HTMLElement | string {
  if (!iso) return "-";
  return h("time", { datetime: iso, title: iso }, new Date(iso).toLocaleTimeString());
}

/** A run state as a coloured badge (the colour only repeats the word). */
export function stateBadge(state: string, text = state): HTMLElement {
  return h("span", { class: `badge state-${state}` }, text);
}

/** A table with a caption, header cells and rows. */
export function table(caption: string, header: readonly string[], rows: readonly Child[][]): HTMLElement {
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        header.map((cell) => h("th", { scope: "col" }, cell)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((row) =>
        h(
          "tr",
          {},
          row.map((cell) => h("td", {}, cell)),
        ),
      ),
    ),
  );
}
