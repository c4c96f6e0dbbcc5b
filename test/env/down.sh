#!/usr/bin/env bash
# npm run testenv:down — removes what testenv:up created:
#   - every container labelled logging-bootstrap.project=logging-testenv (or named logging-testenv-*),
#     the network logging-testenv-net and the project's volumes (data is test data);
#   - the host paths /tmp/logging-testenv, test/.tmp/{render,testenv.json,secrets.env,launcher-state.json};
#   - the registry and dockerd, but only if up started them (pid files under test/.tmp).
# Kept on purpose (so the next up is fast): the images in the engine's cache and the registry's
# storage (test/.tmp/registry/data). TESTENV_PURGE=1 removes those too. TESTENV_KEEP_ENGINE=1 leaves
# the registry and a testenv-started dockerd running.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESTENV_ROOT"
rc=0

if engine_up; then
  timeout 120 "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/env/launcher.ts" down \
    --tmp "$TESTENV_TMP" --socket "$TESTENV_SOCKET" --project "$TESTENV_PROJECT" || rc=1
  if [ "${TESTENV_PURGE:-0}" = 1 ]; then
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$TESTENV_REGISTRY/(testenv|doubles)/" | xargs -r docker rmi -f >/dev/null || rc=1
    log "purged the testenv images from the engine"
  fi
else
  log "no engine at $TESTENV_SOCKET: no containers to remove"
fi
rm -rf "$TESTENV_HOST_ROOT" "$TESTENV_TMP/render" "$TESTENV_TMP/build"
rm -f "$TESTENV_TMP/testenv.json" "$TESTENV_TMP/secrets.env" "$TESTENV_TMP/launcher-state.json"

stop_pid() { # stop_pid <pidfile> <name> <max seconds>
  local f="$1" name="$2" max="$3"
  if pid_alive "$f"; then
    kill "$(cat "$f")" 2>/dev/null || true
    local i=0
    while pid_alive "$f" && [ "$i" -lt $((max * 4)) ]; do sleep 0.25; i=$((i + 1)); done
    if pid_alive "$f"; then kill -9 "$(cat "$f")" 2>/dev/null || true; fi
    log "stopped $name"
  fi
  rm -f "$f"
}
if [ "${TESTENV_KEEP_ENGINE:-0}" != 1 ]; then
  stop_pid "$TESTENV_TMP/registry/registry.pid" "the registry" 10
  stop_pid "$TESTENV_TMP/dockerd.pid" "dockerd (started by testenv)" 30
fi
if [ "${TESTENV_PURGE:-0}" = 1 ]; then rm -rf "$TESTENV_TMP/registry"; fi
log "testenv down"
exit $rc
