export * from "./config";
export * from "./exit-codes";
export * from "./launcher";
export * from "./legacy-job";
export * from "./legacy-program";
export * from "./staging";
export * from "./task";
