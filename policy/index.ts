// The CrossGuard pack: assembly only. Policies live one per file under policies/, the list in
// lib/catalog.ts (shared with the offline `npm run -s policy:check`). Constructing PolicyPack
// starts the analyzer gRPC server, so nothing but the CLI (or the e2e test) may load this file.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, POLICIES } from "./lib/catalog";

new PolicyPack(PACK_NAME, { policies: POLICIES });
