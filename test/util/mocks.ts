// Test helpers over the one mock harness (scripts/lib/evaluate.ts), so tests and `render` see the
// same program evaluation.
import type { EvaluatedResource, Evaluation } from "../../scripts/lib/evaluate";
export { evaluateProgram, fakePassword, mockState, REDACTED } from "../../scripts/lib/evaluate";
export type { EvaluatedResource, Evaluation };

export function byType(ev: Evaluation, type: string): EvaluatedResource[] {
  return ev.resources.filter((r) => r.type === type);
}

export function one(ev: Evaluation, type: string, name: string): EvaluatedResource {
  const found = ev.resources.filter((r) => r.type === type && r.name === name);
  if (found.length !== 1) throw new Error(`expected exactly one ${type} named ${name}, found ${found.length}`);
  return found[0];
}

export const T = {
  container: "docker:index/container:Container",
  image: "docker:index/remoteImage:RemoteImage",
  volume: "docker:index/volume:Volume",
  network: "docker:index/network:Network",
  password: "random:index/randomPassword:RandomPassword",
  command: "command:local:Command",
} as const;
