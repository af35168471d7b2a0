import { CONSUMER_FILTERS, ENV, type EventFilter } from "@sluice/core";
import { isServerUrl } from "@sluice/loader";

/**
 * Who loads a container-route run locally: the one decision the local runtime takes differently
 * from AWS, by the database it loads into.
 *
 * - **A Postgres server**: the legacy-wrapper task, as in AWS. The task (a child process) gets
 *   the URL and loads the run it staged with the loader's code; the local loader's queue keeps
 *   core's `CONSUMER_FILTERS.loader` (lambda-route runs only).
 * - **PGlite** (the embedded default): the local loader. PGlite is one connection inside the
 *   runtime's own process, which a task cannot open beside it; and locally there is no Lambda
 *   timeout for the container route to get around, so the loader's queue takes container-route
 *   runs too and the task only stages.
 */
export interface ContainerLoads {
  loadedBy: "task" | "loader";
  /** The filter policy of the local loader's queue. */
  loaderFilter: EventFilter;
  /** What the task's environment adds: the database URL when the task loads. */
  taskEnvironment: Readonly<Record<string, string>>;
}

/** {@link ContainerLoads} for the database the runtime loads into. */
export function containerLoadsFor(databaseUrl: string): ContainerLoads {
  if (isServerUrl(databaseUrl)) {
    return {
      loadedBy: "task",
      loaderFilter: CONSUMER_FILTERS.loader,
      taskEnvironment: { [ENV.databaseUrl]: databaseUrl },
    };
  }
  return {
    loadedBy: "loader",
    loaderFilter: { ...CONSUMER_FILTERS.loader, route: ["lambda", "container"] },
    taskEnvironment: {},
  };
}
