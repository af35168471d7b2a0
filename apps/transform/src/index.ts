export * from "./create-handler";
export * from "./transform-object";
