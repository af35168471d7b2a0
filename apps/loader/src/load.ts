/**
 * `@sluice/loader/load`: what a process other than the loader Lambda needs to load staged runs
 * into a Postgres server exactly as the loader does. The legacy-wrapper task loads the
 * container-route runs it stages with it (the loader's queue takes lambda-route runs only).
 * Nothing here imports the embedded PGlite target, so a bundle of it stays small.
 */
export { databaseConfigured, isServerUrl, loadTargetFromEnv, type SecretsReader } from "./database";
export { LOADER_SOURCE, type LoaderDeps, type LoadOutcome } from "./load-outcome";
export { loadStagedRun } from "./load-staged-run";
export { loadFailureEvent } from "./loader-handler";
