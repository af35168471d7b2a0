export * from "./config";
export * from "./create-handler";
export * from "./reasons";
export * from "./stage";
