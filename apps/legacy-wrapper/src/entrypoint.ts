import { dirname, join } from "node:path";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SNSClient } from "@aws-sdk/client-sns";
import { S3ObjectStore, SnsEventPublisher } from "@sluice/aws";
import { createLogger, ENV, type EventPublisher, type ObjectStore, requireEnv } from "@sluice/core";
import { loadRegistry } from "@sluice/datasets";
import { loadStagedRun, loadTargetFromEnv } from "@sluice/loader/load";
import { isLocalTask, localTaskPorts } from "@sluice/local";
import { stageStream } from "@sluice/staging";
import { legacyWrapperConfigFromEnv } from "./config";
import { EXIT_CODES } from "./exit-codes";
import { announcingRetries, runLegacyTask, taskAttemptsFromEnv, taskEventFromEnv } from "./task";
import { type TaskLoading, taskLoadsFromEnv } from "./task-load";

/**
 * The legacy-wrapper container entrypoint (`node entrypoint.mjs`): runs one task for the
 * `sluice.object.received` event in `SLUICE_TASK_EVENT` and exits with an {@link EXIT_CODES} code.
 * With `SLUICE_LOCAL_STATE_DIR` set (the local runtime's task runner sets it) it reads and writes
 * the local runtime's directory-backed buckets and outbox instead of S3 and SNS. With the loader's
 * database variables set (`taskLoadsFromEnv`) it loads the run it staged, as the loader would.
 */
async function main(): Promise<number> {
  const logger = createLogger("legacy-wrapper");
  // The shipped programs and contracts sit beside the bundle (`node <dir>/entrypoint.mjs`).
  const bundleDir = dirname(process.argv[1] ?? ".");
  let task: Parameters<typeof runLegacyTask>;
  const stopping = new AbortController();
  try {
    const event = taskEventFromEnv();
    const config = legacyWrapperConfigFromEnv(process.env, join(bundleDir, "legacy"));
    const registry = loadRegistry();
    const ports = portsFromEnv();
    const { store, trackProcessGroup } = ports;
    // A retryable failure of an attempt the launcher starts again says so, and alerts no one.
    const publisher = announcingRetries(ports.publisher, taskAttemptsFromEnv());
    const loading: TaskLoading | undefined = taskLoadsFromEnv()
      ? {
          load: loadStagedRun,
          target: loadTargetFromEnv(
            process.env,
            () => new SecretsManagerClient({}),
            (error) => logger.warn("idle database connection closed", { error: error.message }),
          ),
        }
      : undefined;
    task = [
      event,
      {
        store,
        publisher,
        registry,
        stagingBucket: requireEnv(ENV.stagingBucket),
        stage: stageStream,
        logger,
        config,
        signal: stopping.signal,
        ...(trackProcessGroup ? { trackProgramGroup: trackProcessGroup } : {}),
        ...(loading ? { loading } : {}),
      },
    ];
  } catch (error) {
    logger.error("legacy-wrapper task cannot start", { error: error as Error });
    return EXIT_CODES.badInput;
  }
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.once(signal, () => {
      logger.warn("task asked to stop: stopping the legacy program", { signal });
      stopping.abort();
    });
  }
  const code = await runLegacyTask(...task);
  // Not awaited: a load cut short by a stop still holds its connection; the exit ends it.
  task[1].loading?.target.close().catch(() => undefined);
  return code;
}

/**
 * The store and publisher: the local runtime's when its state directory is given (with where to
 * record the program's process group), else S3 and SNS.
 */
function portsFromEnv(): {
  store: ObjectStore;
  publisher: EventPublisher;
  trackProcessGroup?: (pgid: number) => () => void;
} {
  if (isLocalTask()) return localTaskPorts();
  return {
    store: new S3ObjectStore(new S3Client({})),
    publisher: new SnsEventPublisher(new SNSClient({}), { topicArn: requireEnv(ENV.eventsTopicArn) }),
  };
}

main().then((code) => {
  process.exitCode = code;
  // Let buffered log lines reach the pipe; an SDK socket left open must not keep the task alive.
  setTimeout(() => process.exit(code), 2000).unref();
});
