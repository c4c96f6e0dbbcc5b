#!/usr/bin/env bash
# npm run testenv:up — the real local test environment (see test/env/README.md):
#   1. a Docker engine: the running one, else Debian's docker.io (dockerd --iptables=false, started
#      here, log test/.tmp/dockerd.log);
#   2. Debian's docker-registry on 127.0.0.1:5000 (storage test/.tmp/registry/data);
#   3. images built offline and pushed there (test/env/build-images.sh; cached by input hash);
#   4. `npm run -s render` of test/env/Pulumi.testenv.yaml into test/.tmp/render;
#   5. the stack's containers created from that plan (test/env/launcher.ts), waited healthy;
#   6. test/.tmp/testenv.json for the proofs.
# Idempotent: a second run changes nothing (unchanged containers are left running). Bounded: every
# wait has a deadline. Env: TESTENV_FORCE=1 recreates every container; TESTENV_RECREATE=loki,grafana
# recreates those (service keys or container names; e.g. to undo a fault); TESTENV_HEALTH_TIMEOUT
# (seconds, default 120); TESTENV_RENDER_WAIT (seconds to wait for scripts/render.ts, default 0).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESTENV_ROOT"
START=$(date +%s)

ensure_engine
ensure_packages   # the image builds need busybox-static, prometheus, prometheus-node-exporter
ensure_registry
bash "$TESTENV_ROOT/test/env/build-images.sh"

# render is engineer B's CLI; wait (bounded) for it to exist when asked to.
RENDER_WAIT="${TESTENV_RENDER_WAIT:-0}"
i=0
while [ ! -f "$TESTENV_ROOT/scripts/render.ts" ] && [ "$i" -lt "$RENDER_WAIT" ]; do sleep 1; i=$((i + 1)); done
[ -f "$TESTENV_ROOT/scripts/render.ts" ] || die "scripts/render.ts does not exist yet (npm run render); nothing to launch"
log "render: $TESTENV_CONFIG -> $TESTENV_TMP/render"
timeout 180 npm run -s render -- --stack testenv --config-file "$TESTENV_CONFIG" --out "$TESTENV_TMP/render" >"$TESTENV_TMP/render.log" 2>&1 \
  || { cat "$TESTENV_TMP/render.log" >&2; die "render failed"; }

force=(--recreate "${TESTENV_RECREATE:-}")
[ "${TESTENV_FORCE:-0}" = 1 ] && force+=(--force)
timeout 600 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/env/launcher.ts" up \
  --render "$TESTENV_TMP/render" --config-file "$TESTENV_CONFIG" --tmp "$TESTENV_TMP" \
  --socket "$TESTENV_SOCKET" --health-timeout "${TESTENV_HEALTH_TIMEOUT:-120}" "${force[@]}"

log "testenv up in $(( $(date +%s) - START ))s: $TESTENV_TMP/testenv.json"
