#!/usr/bin/env bash
# npm run testenv:down — removes what testenv:up created:
#   - `pulumi destroy` of the testenv stack (its data volumes are retained on delete, as on any
#     stack), then the project's remaining containers, network and volumes (test data);
#   - the host paths /tmp/logging-testenv, test/.tmp/{render,testenv.json,secrets.env,outputs.json};
#   - the registry and dockerd, but only if up started them (pid files under test/.tmp).
# Kept on purpose (so the next up is fast): the Pulumi backend and passphrase under test/.tmp/pulumi,
# the images in the engine's cache and the registry's storage (test/.tmp/registry/data).
# TESTENV_PURGE=1 removes those too. TESTENV_KEEP_ENGINE=1 leaves the registry and a testenv-started
# dockerd running.
# Fleet hosts (TESTENV_FLEET=1 up): after `pulumi destroy` (which reaches their engines), each host's
# remaining containers and project volumes, then the host itself (test/env/fleet/hosts.sh down: its
# dockerd, registry bridge, namespace, veth; its image cache is kept unless TESTENV_PURGE=1). Hosts
# are taken down whenever they exist, whatever TESTENV_FLEET says now.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$TESTENV_ROOT"
rc=0

if engine_up; then
  if [ -f "$TESTENV_STACK_FILE" ] && [ -d "$TESTENV_PULUMI_DIR/state" ]; then
    ( ensure_pulumi >/dev/null 2>&1 || exit 1
      timeout 600 pulumi destroy --stack "$TESTENV_STACK" --config-file "$TESTENV_STACK_FILE" --yes --non-interactive --skip-preview >"$TESTENV_TMP/destroy.log" 2>&1 ) \
      || { log "WARNING: pulumi destroy failed (see $TESTENV_TMP/destroy.log); removing by label"; rc=1; }
  fi
  ids="$(docker ps -aq --filter "label=logging-bootstrap.project=$TESTENV_PROJECT"; docker ps -aq --filter "name=^$TESTENV_PROJECT-")"
  [ -z "$ids" ] || docker rm -f $(echo "$ids" | sort -u) >/dev/null || rc=1
  docker network rm "$TESTENV_PROJECT-net" >/dev/null 2>&1 || true
  # By label, and by name: a volume Docker created implicitly (a bind of a missing named volume)
  # carries no labels, and Pulumi would adopt it, data included, on the next up.
  vols="$( { docker volume ls -q --filter "label=logging-bootstrap.project=$TESTENV_PROJECT"; docker volume ls -q --filter "name=^$TESTENV_PROJECT-"; } | sort -u)"
  [ -z "$vols" ] || docker volume rm $vols >/dev/null || rc=1
  if [ "${TESTENV_PURGE:-0}" = 1 ]; then
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^$TESTENV_REGISTRY/(testenv|doubles)/" | xargs -r docker rmi -f >/dev/null || rc=1
    log "purged the testenv images from the engine"
  fi
else
  log "no engine at $TESTENV_SOCKET: no containers to remove"
fi
# The fleet hosts after the stack (destroy reached their engines) and before the central engine.
down_fleet || rc=1
rm -rf "$TESTENV_HOST_ROOT" "$TESTENV_TMP/render" "$TESTENV_TMP/build"
rm -f "$TESTENV_TMP/testenv.json" "$TESTENV_TMP/secrets.env" "$TESTENV_TMP/outputs.json" "$TESTENV_TMP/fleet-hosts.json"

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
if [ "${TESTENV_PURGE:-0}" = 1 ]; then rm -rf "$TESTENV_TMP/registry" "$TESTENV_PULUMI_DIR" "$TESTENV_TMP/fleet-tls"; fi
log "testenv down"
exit $rc
