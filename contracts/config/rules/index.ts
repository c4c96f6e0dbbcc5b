// Semantic lint rules (P19): what a schema cannot say, or cannot say with a useful patch.
// Every rule is a pure function over the *raw* namespace object (values as the stack file
// holds them, before zod), so it never assumes a shape: arbitrary input yields findings, never
// a crash. The value checks they use (values.ts) are shared with the policy pack.
import { ruleAlerting, ruleReceiverVersions } from "./alerting";
import { ruleAlloyAllowlists, ruleRedactions } from "./alloy";
import { ruleExposure, ruleLifecycle, ruleUnauthenticatedExposure } from "./exposure";
import { ruleGateway, ruleHosts } from "./hosts";
import { ruleImages, ruleImageVersions } from "./images";
import { ruleNames } from "./names";
import { rulePaths } from "./paths";
import { rulePorts } from "./ports";
import { ruleBooleans, ruleForbiddenKeys, ruleProjectName } from "./project";
import { ruleRetention } from "./retention";
import { ruleSecrets } from "./secrets";
import type { Raw, RuleContext, RuleResult } from "./types";
import { ruleVerify, ruleVerifyExposed } from "./verify";

export type { Raw, RuleContext, RuleResult } from "./types";
export { ruleAlerting, ruleReceiverVersions } from "./alerting";
export { ruleAlloyAllowlists, ruleRedactions } from "./alloy";
export { ruleExposure, ruleLifecycle, ruleUnauthenticatedExposure } from "./exposure";
export { ruleGateway, ruleHosts, suggestDockerHost } from "./hosts";
export { hostsForPatch, hostsPatch } from "./hosts-patch";
export { digestOfRepoDigest, PIN_COMMAND, pinsNeedingDigests, ruleImages, ruleImageVersions } from "./images";
export { ruleNames } from "./names";
export { ROOT_PATHS, rulePaths } from "./paths";
export { rulePorts } from "./ports";
export { BOOLEAN_PATHS, ruleBooleans, ruleForbiddenKeys, ruleProjectName } from "./project";
export { MIN_RETENTION, MIN_RETENTION_MS, ruleRetention } from "./retention";
export {
  ALERTING_SECRET_FIELDS,
  alertingSecretPaths,
  HOST_TLS_SECRET_FIELDS,
  hostsSecretPaths,
  isSecretLeafKey,
  isSecretMarker,
  isSecuredLeaf,
  ruleSecrets,
  SECRET_CONFIG_KEYS,
  SECRET_LEAF_KEYS,
  SECRET_STAND_IN,
  secretLeafPaths,
  secretPathArg,
  secretSetCommand,
  withSecretLeaves,
} from "./secrets";
export type { HostTlsField, SecretLeafKey } from "./secrets";
export { CARDINALITY_RANGE, ruleVerify, ruleVerifyExposed, VERIFY_LEVEL_TOGGLES } from "./verify";

export const SEMANTIC_RULES: readonly ((raw: Raw, ctx: RuleContext) => RuleResult)[] = [
  ruleForbiddenKeys,
  ruleProjectName,
  ruleBooleans,
  ruleExposure,
  ruleUnauthenticatedExposure,
  ruleLifecycle,
  ruleHosts,
  ruleGateway,
  rulePorts,
  rulePaths,
  ruleImages,
  ruleImageVersions,
  ruleRetention,
  ruleAlloyAllowlists,
  ruleNames,
  ruleRedactions,
  ruleVerify,
  ruleVerifyExposed,
  ruleAlerting,
  ruleReceiverVersions,
  ruleSecrets,
];
