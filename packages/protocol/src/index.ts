export * from "./messages";
export * from "./parse";
export * from "./version";
