#!/usr/bin/env bash
# npm run -s drill:upgrade — an upgrade of Prometheus 2.x -> 3.x through apply and its rollback, on
# the real Pulumi engine and real Prometheus binaries built from their Go modules (see
# test/upgrade/drill.ts for the steps). Prepares what it needs the way testenv:up does, starts from
# a testenv stack with nothing deployed and Prometheus pinned to 2.x, and removes what it created.
set -euo pipefail
exec </dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../env/lib.sh"
cd "$TESTENV_ROOT"

export DRILL_FROM="$TESTENV_REGISTRY/testenv/prometheus:v2.55.1"
export DRILL_TO="$TESTENV_REGISTRY/testenv/prometheus:v3.14.0"

log "drill:upgrade: preparing the engine, the registry, the Prometheus 2.x and 3.x images and the Pulumi engine"
ensure_engine
ensure_packages
ensure_registry
command -v go >/dev/null 2>&1 || die "the drill runs real Prometheus binaries: it needs Go to build them (test/engine/build-services.sh)"
bash "$TESTENV_ROOT/test/engine/build-services.sh"
bash "$TESTENV_ROOT/test/env/build-images.sh"
for ref in "$DRILL_FROM" "$DRILL_TO"; do
  docker image inspect "$ref" >/dev/null 2>&1 || die "image $ref was not built"
done

# A fresh start: nothing deployed, no data volumes left from an earlier run.
TESTENV_KEEP_ENGINE=1 bash "$TESTENV_ROOT/test/env/down.sh" >/dev/null 2>&1 || true
export TESTENV_IMAGES="prometheus=$DRILL_FROM"
ensure_pulumi >/dev/null
ensure_alert_sink
seed_journal

export LOGGING_BOOTSTRAP_OUT_DIR="$TESTENV_TMP/drill-out"
rm -rf "$LOGGING_BOOTSTRAP_OUT_DIR"
export DRILL_STACK="$TESTENV_STACK" DRILL_STACK_FILE="$TESTENV_STACK_FILE"
export DRILL_PROMETHEUS_URL="http://127.0.0.1:$(awk '/^  logging-bootstrap:ports:/{p=1;next} p&&/^    prometheus:/{print $2;exit}' "$TESTENV_CONFIG")"
rc=0
timeout 2400 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/upgrade/drill.ts" || rc=$?
if [ "${DRILL_KEEP:-0}" != 1 ]; then
  TESTENV_KEEP_ENGINE=1 bash "$TESTENV_ROOT/test/env/down.sh" >/dev/null 2>&1 || true
fi
exit $rc
