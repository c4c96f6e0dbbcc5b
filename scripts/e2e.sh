#!/usr/bin/env bash
# End to end on a real Pulumi CLI and Docker engine (the `test` stack by default, E2E_STACK=<name>):
#   1. diagnose  2. apply  3. drift (expect no changes)  4. idempotency (second up, no changes)
#   5. destroy, then assert the containers are gone and the data volumes are still there
#      (retainOnDelete: data is never deleted).
# Skipped with a message (exit 0) where the Pulumi CLI or the Docker engine is missing; CI here runs
# everything else. test/ops/e2e.test.ts checks the order and the checks against stub tools.
# Uses the local file backend (.pulumi/, gitignored) unless PULUMI_BACKEND_URL is set, and an empty
# passphrase unless PULUMI_CONFIG_PASSPHRASE(_FILE) is set. Creating the stack records its
# encryption salt in Pulumi.<stack>.yaml, as `pulumi stack init` always does.
# Non-interactive throughout (P17): stdin is /dev/null for every command.
set -euo pipefail
cd "$(dirname "$0")/.."
exec </dev/null

STACK="${E2E_STACK:-test}"
if ! command -v pulumi >/dev/null 2>&1; then
  echo "e2e: SKIPPED: the Pulumi CLI is not on PATH (install: https://www.pulumi.com/docs/install/)."
  echo "e2e: everything else runs without it: npm test, npm run test:integration."
  exit 0
fi
if ! docker info >/dev/null 2>&1; then
  echo "e2e: SKIPPED: no Docker engine answers (docker info failed); start one (dockerd) or set DOCKER_HOST."
  exit 0
fi

export PULUMI_SKIP_UPDATE_CHECK=true
if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
  mkdir -p .pulumi
  export PULUMI_BACKEND_URL="file://$PWD/.pulumi"
fi
if [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  export PULUMI_CONFIG_PASSPHRASE=""
fi

step() { echo; echo "=== e2e [$STACK] $*"; }
fail() { echo "e2e: FAILED: $*" >&2; exit 1; }

PROJECT="$(node -e 'const y=require("yaml");const c=y.parse(require("fs").readFileSync(process.argv[1],"utf8")).config;process.stdout.write(String(c["logging-bootstrap:projectName"]))' "Pulumi.$STACK.yaml")"
data_volumes() {
  docker volume ls -q --filter "label=logging-bootstrap.project=$PROJECT" --filter "label=logging-bootstrap.data=true" | sort
}
containers() {
  docker ps -aq --filter "label=logging-bootstrap.project=$PROJECT"
}

step "0. select (or create) the stack"
pulumi stack select "$STACK" --create --non-interactive

step "1. diagnose (read-only: lint, policy, preview)"
npm run -s bootstrap -- --mode diagnose --stack "$STACK" || fail "diagnose is red (see the bundle printed above)"

step "2. apply (up, verify, evidence)"
npm run -s bootstrap -- --mode apply --stack "$STACK" || fail "apply is red"

step "3. drift (refresh --expect-no-changes)"
npm run -s bootstrap -- --mode drift --stack "$STACK" || fail "refresh found drift on a freshly applied stack"

step "4. idempotency (a second up must change nothing)"
# First read-only: the apply below is itself an up, so a change it made would be applied before its
# own --expect-no-changes up could see it. preview --expect-no-changes fails on any proposed change.
pulumi preview --stack "$STACK" --non-interactive --expect-no-changes || fail "a second up would change the stack (idempotency violation)"
npm run -s bootstrap -- --mode apply --stack "$STACK" --verify-idempotency || fail "the second apply wanted changes (idempotency violation)"

VOLUMES_BEFORE="$(data_volumes)"
[ -n "$VOLUMES_BEFORE" ] || fail "no data volumes labelled logging-bootstrap.project=$PROJECT after apply"
echo "data volumes: $(echo "$VOLUMES_BEFORE" | tr '\n' ' ')"

step "5. destroy, then the data volumes must still exist"
pulumi destroy --stack "$STACK" --yes --non-interactive --skip-preview || fail "pulumi destroy failed"
# Without this the volume check below would pass on a destroy that removed nothing.
[ -z "$(containers)" ] || fail "containers labelled logging-bootstrap.project=$PROJECT survived destroy"
VOLUMES_AFTER="$(data_volumes)"
[ "$VOLUMES_BEFORE" = "$VOLUMES_AFTER" ] || fail "data volumes changed on destroy: before [$VOLUMES_BEFORE] after [$VOLUMES_AFTER]"

npm run -s recall -- list --stack "$STACK" --limit 5
echo
echo "e2e: PASSED (diagnose, apply, drift, idempotency, destroy with data volumes retained)"
