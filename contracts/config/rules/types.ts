// What every semantic rule takes and returns.
import type { Finding } from "../findings";

export type Raw = Record<string, unknown>;

export interface RuleResult {
  errors: Finding[];
  warnings: Finding[];
}

export interface RuleContext {
  /** Short keys (inside the namespace) whose value is a Pulumi secret (`secure:` / isConfigSecret). */
  secretKeys: ReadonlySet<string>;
  /** image reference -> sha256 digest of that image where it is known (config:lint asks the Docker engine). */
  digests?: Readonly<Record<string, string>>;
}

export const empty = (): RuleResult => ({ errors: [], warnings: [] });
