import type { CommandContext, CommandHandler } from "../context";
import { EXIT, type ExitCode, exitCodeOfRuns } from "../exit-codes";
import { runsTable } from "../report/runs-text";
import { type AwsOptions, deployedDeadLetterQueues, wantsAws } from "../status/aws-sources";
import { openLocalQueues, runtimeRunStatuses } from "../status/local-status";
import { selectQueues } from "./support/dead-letter-queues";
import { followWithProgress, withRuntime } from "./support/runtime-session";

/** Options of `sluice dlq redrive`. */
export interface DlqRedriveOptions extends AwsOptions {
  /** One queue (`loader` or `loader-dlq`); default all. */
  queue?: string;
  aws?: boolean;
  /** Locally: run the pipeline until drained after moving the messages back. */
  wait: boolean;
  timeoutMs: number;
}

/**
 * `sluice dlq redrive`: moves dead-lettered messages back to their queues. Locally it then runs
 * the pipeline until drained (unless `wait` is off); in AWS it starts an SQS message move task per
 * non-empty DLQ and the deployed consumers do the rest.
 */
export const dlqRedrive: CommandHandler<DlqRedriveOptions> = (options, context) =>
  wantsAws(options) ? redriveDeployed(options, context) : redriveLocal(options, context);

async function redriveLocal(options: DlqRedriveOptions, context: CommandContext): Promise<ExitCode> {
  const { globals, reporter } = context;
  const movedText = (moved: number) => `moved ${moved} message(s) back to their queues`;
  if (!options.wait) {
    const bus = await openLocalQueues(globals.stateDir, globals.fsync);
    let moved = 0;
    for (const dlq of selectQueues(bus.deadLetterQueues(), options.queue))
      moved += await bus.redrive(dlq.name);
    reporter.result({ moved }, () => movedText(moved));
    return EXIT.ok;
  }
  const startedAt = new Date().toISOString();
  return withRuntime(context, async (runtime, interrupted) => {
    let moved = 0;
    for (const dlq of selectQueues(runtime.deadLetterQueues(), options.queue))
      moved += await runtime.redrive(dlq.name);
    reporter.say(movedText(moved));
    const { outcome } = await followWithProgress(runtime, context, {
      timeoutMs: options.timeoutMs,
      interrupted,
    });
    const runs = await runtimeRunStatuses(runtime, startedAt, (text) => reporter.note(text));
    reporter.result({ moved, outcome, runs }, () => (runs.length > 0 ? runsTable(runs) : undefined));
    if (outcome === "timeout") return EXIT.timeout;
    return exitCodeOfRuns(runs);
  });
}

/** In AWS a redrive is an SQS message move task per queue; the deployed consumers do the rest. */
async function redriveDeployed(options: DlqRedriveOptions, { reporter }: CommandContext): Promise<ExitCode> {
  const started: { queue: string; taskHandle: string; messages: number }[] = [];
  for (const dlq of selectQueues(await deployedDeadLetterQueues(options), options.queue)) {
    const { visible } = await dlq.depth();
    if (visible === 0) continue;
    started.push({ queue: dlq.name, ...(await dlq.redrive()) });
  }
  reporter.result({ started }, () =>
    started.length === 0
      ? "the dead-letter queues are empty"
      : started.map(
          (task) =>
            `moving ~${task.messages} message(s) from ${task.queue} back to its queue (task ${task.taskHandle})`,
        ),
  );
  return EXIT.ok;
}
