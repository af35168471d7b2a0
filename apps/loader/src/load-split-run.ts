import { contractFingerprint, type SluiceEvent } from "@sluice/core";
import { arrivingParts, EarlyStartStopped } from "./arriving-parts";
import { loaderConfig } from "./config";
import { ensureLedger, ledgerTableOf } from "./ledger";
import { type LoaderDeps, type LoadOutcome, publishLoaded } from "./load-outcome";
import { LoaderRejections } from "./load-rejects";
import { ledgerRunOf } from "./load-staged-run";
import { loadRunInTransaction } from "./load-transaction";
import { ensureTargetTable } from "./schema";
import { displayName } from "./sql";

/**
 * An early start that loaded nothing and acked its split: the run was already loaded under this
 * contract, or the start stopped (quarantined, deadline, reload) or failed. The run's
 * `sluice.object.staged` event loads it, or says why not.
 */
export interface EarlyStartSkipped {
  status: "not-loaded";
  runId: string;
  dataset: string;
  reason: "already-loaded" | "no-time" | "failed" | EarlyStartStopped["reason"];
}

/** What {@link loadSplitRun} came to: the run loaded (and `sluice.object.loaded` published), or not. */
export type EarlyStartOutcome = LoadOutcome | EarlyStartSkipped;

/**
 * The early start of a run fanned out over parts (`sluice.object.split`): loads the run in one
 * transaction while its parts are still being staged, COPYing each part as it arrives
 * (`arrivingParts`), so staging and loading overlap; once the last part and the run's manifest
 * are in, the same checks and finishing steps as {@link loadStagedRun} (mode, bad-row ratio with
 * the run's counts, ledger) and `sluice.object.loaded`.
 *
 * The split is only a head start; the run's `sluice.object.staged` stays the reliable trigger
 * (and finds the run loaded: `alreadyLoaded`). So the start never fails its message: it rolls back
 * and acks, leaving the run to that event, when the run is quarantined meanwhile, when the wait
 * for parts reaches its deadline (`remainingMs`, the invocation's time left, less
 * `earlyStartReserveMs`; `earlyStartWaitMs` without it), when the run was loaded under another
 * contract (a reload), and on any error (logged), rejected rows past the contract's ratio
 * included. A run already loaded under this contract is acked at once. The target table is created
 * or changed first, in a transaction of its own, so the DDL lock is not held while parts are
 * awaited.
 */
export async function loadSplitRun(
  event: SluiceEvent<"sluice.object.split">,
  deps: LoaderDeps,
  options: { remainingMs?: number } = {},
): Promise<EarlyStartOutcome> {
  const config = loaderConfig(deps.config);
  const { data } = event;
  const log = { runId: data.runId, dataset: data.dataset };
  const skipped = (reason: EarlyStartSkipped["reason"]): EarlyStartSkipped => ({
    status: "not-loaded",
    ...log,
    reason,
  });
  const waitMs =
    options.remainingMs === undefined
      ? config.earlyStartWaitMs
      : options.remainingMs - config.earlyStartReserveMs;
  if (waitMs <= 0) {
    deps.logger.warn("no time left for an early start: the run's sluice.object.staged event loads it", {
      ...log,
      remainingMs: options.remainingMs,
    });
    return skipped("no-time");
  }
  try {
    const contract = deps.registry.get(data.dataset);
    const rows = arrivingParts(data, contract, deps.store, {
      deadline: Date.now() + waitMs,
      pollMs: config.earlyStartPollMs,
      maxPollMs: config.earlyStartMaxPollMs,
    });
    const ledgerRun = ledgerRunOf(data, contract, contract.version, contractFingerprint(contract));
    const prepared = await deps.target.transaction(async (session) => {
      await ensureLedger(session, ledgerTableOf(config.ledgerSchema), {
        lockTimeoutMs: config.lockTimeoutMs,
      });
      return ensureTargetTable(session, contract);
    });
    if (prepared.created)
      deps.logger.info("created target table", { ...log, table: displayName(prepared.name) });
    const result = await loadRunInTransaction(
      {
        run: data,
        contract,
        rows,
        ledgerRun,
        rejections: new LoaderRejections(config.maxRejectionsKept),
        config,
        prepared,
        onLocked: (entry) => {
          if (entry.status !== "loaded") return;
          throw new EarlyStartStopped(
            "reload",
            `run ${data.runId} was loaded under contract v${entry.contractVersion}; its sluice.object.staged event loads it again`,
          );
        },
      },
      deps,
    );
    if (result.alreadyLoaded) {
      deps.logger.info("already loaded: the early start changed nothing", log);
      return skipped("already-loaded");
    }
    return await publishLoaded(data, contract, result, deps);
  } catch (error) {
    if (error instanceof EarlyStartStopped) {
      const fields = { ...log, reason: error.reason, message: error.message };
      if (error.reason === "deadline")
        deps.logger.warn(
          "early start rolled back at its deadline: the run's sluice.object.staged event loads it",
          fields,
        );
      else if (error.reason === "quarantined")
        deps.logger.info(
          "early start rolled back: the run was quarantined while its parts were staged",
          fields,
        );
      else
        deps.logger.info("early start rolled back: the run's sluice.object.staged event reloads it", fields);
      return skipped(error.reason);
    }
    deps.logger.warn("early start failed and rolled back: the run's sluice.object.staged event loads it", {
      ...log,
      error: error instanceof Error ? error : String(error),
    });
    return skipped("failed");
  }
}
