import type { CliIo } from "../io";
import { createProgress, type Progress } from "./progress";

/** Text for a person: one line, or several. */
export type Text = string | readonly string[];

/** Options of {@link Reporter.progress}. */
export interface ProgressOptions {
  /** Show progress on a terminal only, not as lines in a pipe or a log. */
  terminalOnly?: boolean;
}

/**
 * How every command prints: its result as JSON (`--json`) or as text for people, narration in
 * text mode only, notes on stderr in both. A command says what to print once, never `if (json)`.
 */
export interface Reporter {
  /** True with `--json`. */
  readonly json: boolean;
  /** Prints the command's result: `value` as JSON, or the text `render` makes of it (nothing when it makes none). */
  result<T>(value: T, render: (value: T) => Text | undefined): void;
  /** Says what is happening (text mode only: JSON output stays one document). */
  say(text: Text): void;
  /** A note on stderr, in both modes. */
  note(text: string): void;
  /** Shows the events of a runtime being followed (never with `--json`). */
  progress(options?: ProgressOptions): Progress;
}

/** The reporter of one command run: JSON when `json`, text otherwise. */
export function createReporter(io: CliIo, json: boolean): Reporter {
  const print = (text: Text) => io.out(typeof text === "string" ? text : text.join("\n"));
  return {
    json,
    result(value, render) {
      if (json) {
        io.out(JSON.stringify(value, null, 2));
        return;
      }
      const text = render(value);
      if (text !== undefined) print(text);
    },
    say(text) {
      if (!json) print(text);
    },
    note(text) {
      io.err(text);
    },
    progress({ terminalOnly = false } = {}) {
      return createProgress(io, json || (terminalOnly && !io.isTTY));
    },
  };
}
