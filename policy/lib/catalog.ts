// The one list of policies. policy/index.ts serves it as a CrossGuard pack; scripts/policy-check.ts
// and the tests run the very same objects offline, so both give the same verdicts.
import type { Policies } from "@pulumi/policy";
import { alloyAllowlists } from "../policies/alloy-allowlists";
import { containersHardened } from "../policies/containers-hardened";
import { dataRetained } from "../policies/data-retained";
import { everyServiceVerified } from "../policies/every-service-verified";
import { exposureExplicit } from "../policies/exposure-explicit";
import { hostPathsAbsolute } from "../policies/host-paths-absolute";
import { hostPortsValid } from "../policies/host-ports-valid";
import { imagesPinned } from "../policies/images-pinned";
import { lifecycleApiLocal } from "../policies/lifecycle-api-local";
import { namesDnsSafe } from "../policies/names-dns-safe";
import { retentionEnforced } from "../policies/retention-enforced";
import { secretsNotPlaintext } from "../policies/secrets-not-plaintext";
import { unauthenticatedExposure } from "../policies/unauthenticated-exposure";

export const PACK_NAME = "logging-bootstrap";

export const POLICIES: Policies = [
  imagesPinned,
  hostPortsValid,
  namesDnsSafe,
  hostPathsAbsolute,
  secretsNotPlaintext,
  exposureExplicit,
  unauthenticatedExposure,
  lifecycleApiLocal,
  containersHardened,
  retentionEnforced,
  alloyAllowlists,
  dataRetained,
  everyServiceVerified,
];
