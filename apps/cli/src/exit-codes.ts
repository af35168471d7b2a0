import { BAD_STATES, type RunStatus } from "./status/object-status";

/**
 * Exit codes of `sluice`, stable so scripts can branch on them.
 */
export const EXIT = {
  /** Done, and every object shown ended well (loaded, or still on its way). */
  ok: 0,
  /** An unexpected error (a bug, a disk error): the message says what. */
  error: 1,
  /** Wrong usage: unknown command or option, missing argument. */
  usage: 2,
  /** Done, but some object needs attention: failed, quarantined, or in a dead-letter queue. */
  attention: 3,
  /** The key or run id asked for is unknown. */
  notFound: 4,
  /** The pipeline did not drain within `--timeout`. */
  timeout: 5,
  /** Another sluice runtime is using the state directory. */
  busy: 6,
  /** The command was refused as asked: an unload of a run that is not loaded, or of a table without lineage. */
  refused: 7,
} as const;

/** One of {@link EXIT}'s values. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code a set of runs deserves: attention when any is failed, quarantined or dead-lettered. */
export function exitCodeOfRuns(runs: readonly Pick<RunStatus, "state">[]): ExitCode {
  return runs.some((run) => BAD_STATES.has(run.state)) ? EXIT.attention : EXIT.ok;
}
