import {
  ConfigError,
  dispositionOf,
  ENV,
  formatObjectRef,
  type LoadTarget,
  type SluiceEvent,
} from "@sluice/core";
import {
  databaseConfigured,
  isServerUrl,
  type LoaderDeps,
  type LoadOutcome,
  loadFailureEvent,
} from "@sluice/loader/load";
import {
  failLegacyJob,
  LEGACY_WRAPPER_SOURCE,
  type LegacyJobDeps,
  type LegacyJobOutcome,
  stoppedAfterGrace,
} from "./legacy-job";

/**
 * The loader's own `loadStagedRun` (`@sluice/loader/load`), injected as the staging step is, so the
 * task loads exactly as the loader does: one transaction, the ledger lock, the same events.
 */
export type LoadFunction = (
  event: SluiceEvent<"sluice.object.staged">,
  deps: LoaderDeps,
) => Promise<LoadOutcome>;

/** How the task loads the run it staged: the loader's load, into the loader's database. */
export interface TaskLoading {
  load: LoadFunction;
  /** The loader's database, opened from the same environment as the loader Lambda's (`loadTargetFromEnv`). */
  target: LoadTarget;
}

/**
 * True when the task has a database to load into (the loader's variables: `DATABASE_URL`, or the
 * RDS secret's ARN with host, port and name). Without one it only stages, as the local runtime
 * on PGlite runs it. A `DATABASE_URL` that is not a `postgres://` server (a PGlite directory,
 * which only one process can open) is refused: the task would compete with the runtime for it.
 *
 * @throws ConfigError for a `DATABASE_URL` that names no Postgres server.
 */
export function taskLoadsFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const url = env[ENV.databaseUrl];
  if (url && !isServerUrl(url)) {
    throw new ConfigError(`${ENV.databaseUrl} must be a postgres:// URL for the task to load`, {
      name: ENV.databaseUrl,
    });
  }
  return databaseConfigured(env);
}

/**
 * Loads the run the task just staged, with the loader's own code, and publishes what the loader
 * would, under the task's source: `sluice.object.loaded`, or `sluice.object.quarantined` when the
 * table refuses too many rows. A redelivered or replayed task loads nothing twice (the ledger).
 *
 * A load that throws publishes the loader's `sluice.object.failed` (`phase: loader`, the error's
 * code as the reason): retryable for what retrying can fix (the database unavailable, a lock
 * timeout: exit 75), not for a run that can never load as it is (a schema mismatch: exit 65).
 * The transaction rolls back, so nothing is half loaded. Asked to stop (SIGTERM), the load gets
 * the kill grace to finish; past it the run fails as `stopped` (retryable) and the process's exit
 * ends the connection, which rolls the load back.
 */
export async function loadStagedOutput(
  staged: SluiceEvent<"sluice.object.staged">,
  loading: TaskLoading,
  deps: LegacyJobDeps,
): Promise<LegacyJobOutcome> {
  const { data } = staged;
  const where = formatObjectRef(data.object);
  const loaderDeps: LoaderDeps = {
    store: deps.store,
    target: loading.target,
    registry: deps.registry,
    publisher: deps.publisher,
    logger: deps.logger,
    source: LEGACY_WRAPPER_SOURCE,
  };
  deps.logger.info("loading the staged run");
  const load = loading.load(staged, loaderDeps);
  let result: LoadOutcome | "stopped";
  try {
    result = await Promise.race([load, stoppedAfterGrace(deps.signal, deps.config.killGraceMs)]);
  } catch (error) {
    const retryable = dispositionOf(error) === "retry";
    await deps.publisher.publish(loadFailureEvent(staged, error, retryable, LEGACY_WRAPPER_SOURCE));
    const message = `${where}: load failed: ${(error as Error).message}`;
    deps.logger.error("legacy job failed", { reason: "load-failed", retryable, message });
    return { status: "failed", reason: "load-failed", retryable, message };
  }
  if (result === "stopped") {
    load.catch(() => undefined);
    const message = `${where}: the task was stopped while loading`;
    return failLegacyJob(data, { reason: "stopped", retryable: true, message }, deps);
  }
  return { status: result.status };
}
