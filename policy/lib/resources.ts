// The policies' view of resource properties: the plan model's tokens, labels, secret helpers and
// tolerant readers (contracts/plan), in one import for policies/*.ts.
export {
  TYPES,
  LABEL_PROJECT,
  LABEL_SERVICE,
  LABEL_DATA,
  LABEL_RETAIN,
  REDACTED,
  isSecretSig,
  isSecretValue,
  unwrap,
  asArray,
  isObject,
  str,
  labelsOf,
  serviceOf,
  uploadFiles,
  findUpload,
  envEntries,
  portsOf,
  hostMountsOf,
  commandOf,
  displayName,
} from "../../contracts/plan";
export type { Upload, EnvEntry, PortBinding, HostMount } from "../../contracts/plan";
