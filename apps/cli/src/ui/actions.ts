import { dlqRedrive } from "../commands/dlq-redrive";
import { replay } from "../commands/replay";
import type { CommandContext, CommandHandler, GlobalOptions } from "../context";
import { reportFailure } from "../errors";
import { EXIT, type ExitCode } from "../exit-codes";
import type { CliIo } from "../io";
import { createReporter } from "../report/reporter";
import { runtimeHolding } from "../runtime/state-lock";
import type { AwsOptions } from "../status/aws-sources";

/** What an action did: the command's exit code, its JSON result, and what it said on stderr. */
export interface ActionOutcome {
  exitCode: ExitCode;
  ok: boolean;
  result?: unknown;
  messages: string[];
}

/** How the dashboard's actions run: the same command handlers as `sluice dlq redrive` and `sluice replay`. */
export interface DashboardActions {
  /** `sluice dlq redrive <queue>`: waits for the pipeline to drain unless a runtime already runs it. */
  redrive(queue: string): Promise<ActionOutcome>;
  /** `sluice replay` of exactly this object key. */
  replay(key: string): Promise<ActionOutcome>;
}

/** Options of {@link dashboardActions}. */
export interface DashboardActionOptions {
  globals: GlobalOptions;
  aws: AwsOptions & { aws?: boolean };
  /** How long an action waits for the pipeline to drain. */
  timeoutMs: number;
}

/** The dashboard's actions, run one at a time as the CLI would run them. */
export function dashboardActions({ globals, aws, timeoutMs }: DashboardActionOptions): DashboardActions {
  return {
    async redrive(queue) {
      // A running `sluice run`/`watch` holds the state directory and drains what comes back
      // itself: then only move the messages, as `dlq redrive --no-wait` does.
      const wait = (await runtimeHolding(globals.stateDir)) === undefined;
      return runCommand(dlqRedrive, { ...aws, queue, wait, timeoutMs }, globals);
    },
    replay: (key) => runCommand(replay, { key, state: "all", wait: true, timeoutMs }, globals),
  };
}

async function runCommand<O>(handler: CommandHandler<O>, options: O, globals: GlobalOptions) {
  const stdout: string[] = [];
  const messages: string[] = [];
  const io: CliIo = { out: (text) => stdout.push(text), err: (text) => messages.push(text), isTTY: false };
  const context: CommandContext = { io, globals, reporter: createReporter(io, true) };
  let exitCode: ExitCode;
  try {
    exitCode = await handler(options, context);
  } catch (error) {
    exitCode = reportFailure(error, io);
  }
  const outcome: ActionOutcome = {
    exitCode,
    ok: exitCode === EXIT.ok || exitCode === EXIT.attention,
    messages,
  };
  if (stdout.length > 0) outcome.result = JSON.parse(stdout.join(""));
  return outcome;
}
