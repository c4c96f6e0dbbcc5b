// contracts/plan: the evaluated program (the plan) as every part of the project reads it.
export * from "./types";
export * from "./tokens";
export * from "./secrets";
export * from "./readers";
export * from "./files";
