/**
 * What a terminal shows after `output`: text, `\n`, `\r`, and the only escape sequences the
 * progress block writes (`ESC[nA` cursor up, `ESC[0J` clear to the end of the screen, `ESC[2K`
 * clear the line). Any other escape sequence fails, so a test cannot pass on output it misreads.
 */
export function screenOf(output: string): string[] {
  const screen: string[] = [""];
  let row = 0;
  let column = 0;
  // Built from a string: the linter refuses control characters in a regular expression literal.
  const esc = "\u001b";
  const pattern = new RegExp(`${esc}\\[(\\d*)([A-Za-z])|\\r|\\n|[^${esc}\\r\\n]+`, "gu");
  for (const match of output.matchAll(pattern)) {
    const [token, count, command] = match;
    if (command !== undefined) {
      if (command === "A") row = Math.max(0, row - Number(count || 1));
      else if (command === "J" && (count === "" || count === "0")) {
        screen[row] = screen[row]!.slice(0, column);
        screen.length = row + 1;
      } else if (command === "K" && count === "2") screen[row] = "";
      else throw new Error(`unexpected escape sequence ${JSON.stringify(token)}`);
    } else if (token === "\r") column = 0;
    else if (token === "\n") {
      row += 1;
      column = 0;
      if (screen.length <= row) screen.push("");
    } else {
      const line = screen[row]!.padEnd(column);
      screen[row] = line.slice(0, column) + token + line.slice(column + token.length);
      column += token.length;
    }
  }
  return screen.filter((line, i) => line !== "" || i < screen.length - 1);
}
