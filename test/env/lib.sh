# Shared helpers for the local test environment (sourced by up.sh, down.sh, build-images.sh).
# Everything here talks to 127.0.0.1 only, and every wait is bounded in count and time.

TESTENV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTENV_TMP="${TESTENV_TMP:-$TESTENV_ROOT/test/.tmp}"
TESTENV_REGISTRY="127.0.0.1:5000"
TESTENV_SOCKET="${TESTENV_SOCKET:-/var/run/docker.sock}"
TESTENV_CONFIG="$TESTENV_ROOT/test/env/Pulumi.testenv.yaml"
TESTENV_PROJECT="logging-testenv"
TESTENV_HOST_ROOT="/tmp/logging-testenv"

mkdir -p "$TESTENV_TMP"

log() { printf '[testenv %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Bounded poll: wait_for <max_seconds> <description> <command...>; polls every 0.25 s.
wait_for() {
  local max="$1" what="$2"; shift 2
  local tries=$((max * 4)) i=0
  while [ "$i" -lt "$tries" ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25; i=$((i + 1))
  done
  log "timed out after ${max}s waiting for $what"
  return 1
}

engine_up() { docker -H "unix://$TESTENV_SOCKET" info >/dev/null 2>&1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Install the Debian packages the environment needs, only those whose tools are missing (a second
# `up` never touches apt; apt-get update runs at most once per machine, marker under test/.tmp).
# docker.io only when no engine answers and no dockerd exists (never next to another engine).
ensure_packages() {
  local missing=""
  if ! command -v docker >/dev/null || { ! engine_up && ! command -v dockerd >/dev/null; }; then missing="$missing docker.io"; fi
  [ -x /bin/busybox ] || missing="$missing busybox-static"
  command -v prometheus >/dev/null && command -v promtool >/dev/null || missing="$missing prometheus"
  command -v prometheus-node-exporter >/dev/null || missing="$missing prometheus-node-exporter"
  command -v docker-registry >/dev/null || missing="$missing docker-registry"
  command -v curl >/dev/null || missing="$missing curl"   # registry probes (registry_up, build-images.sh)
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "missing packages:$missing and not root: run apt-get install -y$missing"
  log "installing Debian packages:$missing (this takes minutes, once)"
  if [ ! -f "$TESTENV_TMP/apt-updated" ]; then
    timeout 600 apt-get update >"$TESTENV_TMP/apt.log" 2>&1 || die "apt-get update failed (see $TESTENV_TMP/apt.log)"
    touch "$TESTENV_TMP/apt-updated"
  fi
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive timeout 1200 apt-get install -y $missing >>"$TESTENV_TMP/apt.log" 2>&1 \
    || die "apt-get install failed (see $TESTENV_TMP/apt.log)"
}

# Use a running engine; otherwise start dockerd ourselves (pid file marks it as ours, so down stops
# only an engine that up started).
ensure_engine() {
  if engine_up; then
    if pid_alive "$TESTENV_TMP/dockerd.pid"; then log "engine: dockerd started by testenv (pid $(cat "$TESTENV_TMP/dockerd.pid"))";
    else log "engine: using the running Docker engine at $TESTENV_SOCKET"; fi
    return 0
  fi
  ensure_packages
  command -v dockerd >/dev/null || die "dockerd not found after install"
  [ "$(id -u)" = 0 ] || die "no Docker engine at $TESTENV_SOCKET and not root: start one (dockerd) and retry"
  log "engine: starting dockerd --iptables=false (log: $TESTENV_TMP/dockerd.log)"
  # setsid: the engine must outlive this shell and the npm process that ran it.
  setsid dockerd --iptables=false --host "unix://$TESTENV_SOCKET" >"$TESTENV_TMP/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$TESTENV_TMP/dockerd.pid"
  wait_for 60 "the Docker socket $TESTENV_SOCKET" engine_up || { tail -n 20 "$TESTENV_TMP/dockerd.log" >&2; die "dockerd did not come up"; }
}

registry_up() { curl -fsS --max-time 2 "http://$TESTENV_REGISTRY/v2/" >/dev/null 2>&1; }

# Debian's docker-registry on 127.0.0.1:5000 with filesystem storage under test/.tmp/registry.
ensure_registry() {
  if registry_up; then log "registry: $TESTENV_REGISTRY answers"; return 0; fi
  ensure_packages
  mkdir -p "$TESTENV_TMP/registry/data"
  cat >"$TESTENV_TMP/registry/config.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $TESTENV_TMP/registry/data
  delete:
    enabled: true
http:
  addr: $TESTENV_REGISTRY
EOF
  log "registry: starting docker-registry on $TESTENV_REGISTRY (log: $TESTENV_TMP/registry/registry.log)"
  setsid docker-registry serve "$TESTENV_TMP/registry/config.yml" >"$TESTENV_TMP/registry/registry.log" 2>&1 < /dev/null &
  echo $! >"$TESTENV_TMP/registry/registry.pid"
  wait_for 30 "the registry on $TESTENV_REGISTRY" registry_up || { tail -n 20 "$TESTENV_TMP/registry/registry.log" >&2; die "registry did not come up"; }
}
