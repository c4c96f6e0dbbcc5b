// The nine verification levels as pure functions: plain inputs + injected I/O in, a ProofResult
// out; one file per level, shared helpers in common.ts.
export * from "./common";
export * from "./health";
export * from "./reachability";
export * from "./ingestion";
export * from "./ingestion-proof";
export * from "./labels";
export * from "./dashboards";
export * from "./rules";
export * from "./provenance";
export * from "./drift";
export * from "./alerts";
export * from "./host";
