#!/usr/bin/env bash
# npm run e2e — the operator workflow end to end on the real Pulumi engine and Docker engine (the
# testenv stack, images from the local registry): see test/e2e/e2e.ts for the steps. Prepares what
# it needs the way testenv:up does (engine, registry, images, the Pulumi engine built from Go
# modules, the local file backend and passphrase under test/.tmp/pulumi), starts from a stack with
# nothing deployed, and removes what it created at the end (its retained data volumes included,
# after checking they survived destroy). Non-interactive throughout (P17).
set -euo pipefail
exec </dev/null
source "$(dirname "${BASH_SOURCE[0]}")/../env/lib.sh"
cd "$TESTENV_ROOT"

ensure_engine
ensure_packages
ensure_registry
if command -v go >/dev/null 2>&1; then bash "$TESTENV_ROOT/test/engine/build-services.sh"; fi
bash "$TESTENV_ROOT/test/env/build-images.sh"
ensure_pulumi

# A fresh start: nothing of the testenv stack deployed (a left-over environment is taken down).
TESTENV_KEEP_ENGINE=1 bash "$TESTENV_ROOT/test/env/down.sh" >/dev/null 2>&1 || true
ensure_pulumi >/dev/null
ensure_alert_sink
seed_journal

export LOGGING_BOOTSTRAP_OUT_DIR="$TESTENV_TMP/e2e-out"
export E2E_STACK="$TESTENV_STACK" E2E_STACK_FILE="$TESTENV_STACK_FILE" E2E_PROJECT="$TESTENV_PROJECT"
rc=0
timeout 2400 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/e2e/e2e.ts" || rc=$?
TESTENV_KEEP_ENGINE=1 bash "$TESTENV_ROOT/test/env/down.sh" >/dev/null 2>&1 || true
exit $rc
