import stringWidth from "string-width";

/**
 * The columns `text` takes on a terminal: a wide character (CJK, most emoji: `☕`) takes two,
 * a combining mark none, so `café ☕` is 7 columns, not its 6 UTF-16 units.
 */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** `text` padded with spaces to `width` terminal columns. */
export function padDisplay(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - displayWidth(text)));
}

/** A plain-text table: columns padded to their widest cell, measured in terminal columns. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(displayWidth(h), ...rows.map((r) => displayWidth(r[i] ?? ""))),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : padDisplay(cell, widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Milliseconds as `850 ms` or `2.4 s`; a dash when unknown. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
