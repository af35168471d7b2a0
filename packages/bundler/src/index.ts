export {
  BUNDLE_BUDGET_BYTES,
  type BundleBench,
  benchBundle,
  benchMain,
  coldImportMs,
  DEFAULT_RUNS,
  extractZip,
  median,
  placeholderEnv,
  reportBundles,
  zipsIn,
} from "./bench";
export {
  type BundleFormat,
  type BundleOptions,
  type BundleResult,
  bundle,
  datasetContractsDir,
  ESM_BANNER,
  formatKb,
  heaviestInputs,
} from "./bundle";
export { main, parseBundleArgs, USAGE } from "./cli";
export { filesUnder, writeDeterministicZip } from "./zip";
