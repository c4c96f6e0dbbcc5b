// Stack configs for the pure renderer and container tests: the checked-in stacks and variants of them.
import type { StackConfig } from "../../contracts/config/schema";

/** A deep copy of `base` changed by `patch`; `base` itself is left as it was. */
export function withCfg(base: StackConfig, patch: (c: StackConfig) => void): StackConfig {
  const c = JSON.parse(JSON.stringify(base)) as StackConfig;
  patch(c);
  return c;
}
