# Shared helpers for the local test environment (sourced by up.sh, down.sh, build-images.sh).
# Everything here talks to 127.0.0.1 only, and every wait is bounded in count and time.

TESTENV_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TESTENV_TMP="${TESTENV_TMP:-$TESTENV_ROOT/test/.tmp}"
TESTENV_REGISTRY="127.0.0.1:5000"
TESTENV_SOCKET="${TESTENV_SOCKET:-/var/run/docker.sock}"
TESTENV_CONFIG="$TESTENV_ROOT/test/env/Pulumi.testenv.yaml"
TESTENV_PROJECT="logging-testenv"
TESTENV_HOST_ROOT="/tmp/logging-testenv"

# ---- The three-host environment (TESTENV_FLEET=1): hosts b and c beside this machine's engine ------
# Off by default (one host: the fast loop for most tests); e2e's fleet act turns it on for itself.
TESTENV_FLEET="${TESTENV_FLEET:-0}"
TESTENV_FLEET_DIR="$TESTENV_ROOT/test/env/fleet"
# The fleet's keys over the one-host stack file, and the policy pack's config for its LAN exposure.
TESTENV_FLEET_OVERLAY="$TESTENV_FLEET_DIR/Pulumi.testenv.fleet.yaml"
TESTENV_FLEET_POLICY="$TESTENV_FLEET_DIR/policy.json"
# name:index of each non-central host (hosts.sh), in the stack file's order (hosts[1], hosts[2]).
TESTENV_FLEET_HOSTS="b:1 c:2"
# Host c's engine listens on TCP with TLS: its certificates (test/env/fleet/tls.sh), kept between runs.
TESTENV_FLEET_TLS_HOST=c
TESTENV_FLEET_TLS_ADDR=10.250.2.2
TESTENV_FLEET_TLS_DIR="$TESTENV_TMP/fleet-tls/$TESTENV_FLEET_TLS_HOST"
fleet_hosts() { bash "$TESTENV_FLEET_DIR/hosts.sh" "$@"; }
# The bootstrap arguments a stack needs beyond --stack/--config-file: the fleet's policy config.
testenv_policy_args() { if [ "$TESTENV_FLEET" = 1 ]; then printf -- '--policy-config\n%s\n' "$TESTENV_FLEET_POLICY"; fi; }

mkdir -p "$TESTENV_TMP"

log() { printf '[testenv %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Bounded poll: wait_for <max_seconds> <description> <command...>; polls every 0.25 s until the
# command succeeds or max_seconds have passed (wall clock). Each attempt's output (stdout and stderr)
# is kept in WAIT_SEEN: on success it is the answer (callers may use it), on timeout it is printed
# with the exit status, so a failure shows what the last check saw. Commands bound their own time
# (docker calls run under `timeout`, curl has --max-time), so no attempt can hang the poll.
WAIT_SEEN=""
wait_for() {
  local max="$1" what="$2"; shift 2
  local deadline=$(( $(date +%s) + max )) rc=0 tries=0
  while :; do
    tries=$((tries + 1))
    if WAIT_SEEN="$("$@" 2>&1)"; then return 0; else rc=$?; fi
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.25
  done
  log "timed out after ${max}s ($tries checks) waiting for $what; the last check (\`$*\`) exited $rc and printed:"
  printf '%s\n' "${WAIT_SEEN:-(nothing)}" | tail -n 20 | sed 's/^/    /' >&2
  return 1
}

# What the engine answers: its version, or the client's error (a half-started engine can hang a call).
engine_probe() { timeout 10 docker -H "unix://$TESTENV_SOCKET" info --format '{{.ServerVersion}}'; }
# spawn_daemon <cmd...>: run a daemon in its own session with no file descriptor but 0-2 inherited:
# a daemon that outlives this shell must not keep open what the caller held (a lock file held by
# `flock file cmd`, or hosts.sh's own lock, would stay locked for as long as the daemon runs).
# Called as `spawn_daemon cmd ... &`: the background subshell closes its descriptors and becomes the
# daemon (exec), so no shell stays behind holding what the caller had open, and $! is the daemon's
# pid. Called in the foreground it does the same in a subshell of its own.
spawn_daemon() {
  if [ "$BASHPID" = "$$" ]; then ( spawn_daemon "$@" ); return; fi
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd="${fd##*/}"
    if [ "$fd" -gt 2 ] 2>/dev/null; then eval "exec ${fd}>&-" 2>/dev/null || true; fi
  done
  exec setsid "$@"
}

engine_up() { engine_probe >/dev/null 2>&1; }

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Install the Debian packages the environment needs, only those whose tools are missing (a second
# `up` never touches apt; apt-get update runs at most once per machine, marker under test/.tmp).
# docker.io only when no engine answers and no dockerd exists (never next to another engine).
ensure_packages() {
  local missing=""
  if ! command -v docker >/dev/null || { ! engine_up && ! command -v dockerd >/dev/null; }; then missing="$missing docker.io"; fi
  [ -x /bin/busybox ] || missing="$missing busybox-static"
  command -v promtool >/dev/null || missing="$missing prometheus"   # promtool: npm test checks rendered rules
  command -v docker-registry >/dev/null || missing="$missing docker-registry"
  command -v curl >/dev/null || missing="$missing curl"   # registry probes (registry_up, build-images.sh)
  command -v ip >/dev/null || missing="$missing iproute2"   # the default bridge's address (bridge_gateway_probe)
  command -v jq >/dev/null || missing="$missing jq"   # the fleet hosts' JSON (TESTENV_FLEET=1)
  command -v openssl >/dev/null || missing="$missing openssl"   # host c's TLS certificates (fleet/tls.sh)
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
  spawn_daemon dockerd --iptables=false --host "unix://$TESTENV_SOCKET" >"$TESTENV_TMP/dockerd.log" 2>&1 < /dev/null &
  echo $! >"$TESTENV_TMP/dockerd.pid"
  wait_for 60 "the Docker engine on $TESTENV_SOCKET" engine_probe \
    || { started_process_state "$TESTENV_TMP/dockerd.pid" dockerd "$TESTENV_TMP/dockerd.log"; die "dockerd did not come up"; }
  log "engine: dockerd $WAIT_SEEN answers"
}

# After a process this file started did not come up: whether it still runs, and the tail of its log.
started_process_state() { # started_process_state <pidfile> <name> <log>
  if pid_alive "$1"; then log "$2 (pid $(cat "$1")) is still running; the end of $3:"
  else log "$2 (pid $(cat "$1" 2>/dev/null || echo '?')) is no longer running; the end of $3:"; fi
  tail -n 20 "$3" 2>/dev/null | sed 's/^/    /' >&2
}

# The registry's answer to /v2/ (or curl's error).
registry_probe() { curl -fsS --max-time 2 "http://$TESTENV_REGISTRY/v2/"; }
registry_up() { registry_probe >/dev/null 2>&1; }

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
  spawn_daemon docker-registry serve "$TESTENV_TMP/registry/config.yml" >"$TESTENV_TMP/registry/registry.log" 2>&1 < /dev/null &
  echo $! >"$TESTENV_TMP/registry/registry.pid"
  wait_for 30 "the registry on $TESTENV_REGISTRY" registry_probe \
    || { started_process_state "$TESTENV_TMP/registry/registry.pid" docker-registry "$TESTENV_TMP/registry/registry.log"; die "registry did not come up"; }
}

# ---- Pulumi: the project's own engine, a local file backend, a passphrase file ------------------
TESTENV_PULUMI_DIR="$TESTENV_TMP/pulumi"
TESTENV_STACK="testenv"
# Generated: the tracked stack file plus this backend's encryption salt, so `pulumi stack init`
# never writes a salt into a tracked file (the work tree stays as checked out).
TESTENV_STACK_FILE="$TESTENV_PULUMI_DIR/Pulumi.$TESTENV_STACK.yaml"
# Every pulumi call passes this file as --config-file; the program reads which alerting credentials
# are secure: from the stack file it runs with, so it is told which one (contracts/config/markers.ts).
export LOGGING_BOOTSTRAP_STACK_FILE="$TESTENV_STACK_FILE"

# ensure_pulumi: the Pulumi CLI this repository builds (test/engine/build.sh: cached, nothing
# downloaded) where Go exists; otherwise a `pulumi` already on PATH. Then the backend and stack.
ensure_pulumi() {
  if command -v go >/dev/null 2>&1; then
    bash "$TESTENV_ROOT/test/engine/build.sh" || die "the engine build failed (npm run -s engine:build)"
  fi
  if [ -f "$TESTENV_ROOT/.tools/engine/env.sh" ]; then
    # shellcheck disable=SC1091
    source "$TESTENV_ROOT/.tools/engine/env.sh"
  fi
  command -v pulumi >/dev/null 2>&1 || die "no Pulumi CLI: npm run -s engine:build (needs Go) or install it (https://www.pulumi.com/docs/install/)"
  export PULUMI_SKIP_UPDATE_CHECK=true
  export PULUMI_BACKEND_URL="file://$TESTENV_PULUMI_DIR/state"
  export PULUMI_CONFIG_PASSPHRASE_FILE="$TESTENV_PULUMI_DIR/passphrase"
  unset PULUMI_CONFIG_PASSPHRASE
  mkdir -p "$TESTENV_PULUMI_DIR/state"
  if [ ! -s "$PULUMI_CONFIG_PASSPHRASE_FILE" ]; then
    (umask 077 && head -c 32 /dev/urandom | base64 >"$PULUMI_CONFIG_PASSPHRASE_FILE")
  fi
  chmod 0600 "$PULUMI_CONFIG_PASSPHRASE_FILE"
  clear_stale_locks
  ensure_stack
}

# clear_stale_locks: a run killed mid-update (a machine restart) leaves its lock behind, and every
# later pulumi call on the stack refuses. Only locks taken on this host by a pid that no longer
# runs are removed; a live run's lock is left alone.
clear_stale_locks() {
  local dir="$TESTENV_PULUMI_DIR/state/.pulumi/locks" f pid host
  [ -d "$dir" ] || return 0
  while IFS= read -r f; do
    pid="$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$f" | head -n1)"
    host="$(sed -n 's/.*"hostname": *"\([^"]*\)".*/\1/p' "$f" | head -n1)"
    [ -n "$pid" ] && [ "$host" = "$(hostname)" ] || continue
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$f" && log "removed a stale Pulumi lock (pid $pid no longer runs): $f"
    fi
  done < <(find "$dir" -name '*.json' -type f)
}

# ensure_stack: create the testenv stack once (in a scratch copy of the project, so its salt lands
# in test/.tmp), then regenerate $TESTENV_STACK_FILE from the tracked file and that salt.
ensure_stack() {
  local salt_file="$TESTENV_PULUMI_DIR/$TESTENV_STACK.salt" scratch="$TESTENV_PULUMI_DIR/init"
  if [ ! -s "$salt_file" ] || ! (cd "$TESTENV_ROOT" && pulumi stack ls --json --non-interactive 2>/dev/null | grep -q "\"name\": \"$TESTENV_STACK\""); then
    rm -rf "$scratch"; mkdir -p "$scratch"
    cp "$TESTENV_ROOT/Pulumi.yaml" "$scratch/"
    (cd "$scratch" && pulumi stack rm "$TESTENV_STACK" --yes --force --non-interactive >/dev/null 2>&1; \
      pulumi stack init "$TESTENV_STACK" --non-interactive >/dev/null) || die "pulumi stack init $TESTENV_STACK failed"
    grep '^encryptionsalt:' "$scratch/Pulumi.$TESTENV_STACK.yaml" >"$salt_file" || die "pulumi stack init wrote no encryption salt"
    rm -rf "$scratch"
    log "pulumi: stack $TESTENV_STACK created (backend $PULUMI_BACKEND_URL)"
    remove_orphans
  fi
  { cat "$TESTENV_CONFIG"; cat "$salt_file"; } >"$TESTENV_STACK_FILE"
  if [ "$TESTENV_FLEET" = 1 ]; then
    "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_FLEET_DIR/stack-file.ts" "$TESTENV_STACK_FILE" "$TESTENV_FLEET_OVERLAY" \
      || die "writing the fleet's keys ($TESTENV_FLEET_OVERLAY) into $TESTENV_STACK_FILE failed"
  fi
  # The alert sink as the receiver of every alert (L9 proves Watchdog reaches it). Its URL is a
  # secret by the config contract, so it is set encrypted here, in the generated file only.
  local gw cfg=(--stack "$TESTENV_STACK" --config-file "$TESTENV_STACK_FILE" --non-interactive)
  gw="$(sink_gateway)" || die "no gateway address on Docker's default bridge (the alert sink is published there)"
  pulumi config set-all "${cfg[@]}" --path \
    --plaintext 'logging-bootstrap:alerting.receivers[0].name=sink' \
    --secret "logging-bootstrap:alerting.receivers[0].webhook.url=http://$gw:$TESTENV_SINK_PORT/webhook" \
    --plaintext 'logging-bootstrap:alerting.defaultReceiver=sink' \
    --plaintext 'logging-bootstrap:alerting.watchdogReceiver=sink' \
    --plaintext "logging-bootstrap:verify.alertSinkUrl=http://127.0.0.1:$TESTENV_SINK_PORT" >/dev/null \
    || die "setting the alert sink receiver in $TESTENV_STACK_FILE failed"
  if [ "$TESTENV_FLEET" = 1 ]; then set_fleet_tls_leaves "${cfg[@]}"; fi
  # TESTENV_IMAGES=prometheus=<ref>[,<service>=<ref>...]: other pins for this run (the upgrade drill).
  if [ -n "${TESTENV_IMAGES:-}" ]; then
    "$TESTENV_ROOT/node_modules/.bin/tsx" "$TESTENV_ROOT/test/env/set-images.ts" "$TESTENV_STACK_FILE" "$TESTENV_IMAGES" || die "TESTENV_IMAGES: $TESTENV_IMAGES"
    log "pins from TESTENV_IMAGES: $TESTENV_IMAGES"
  fi
}

# remove_orphans: a fresh stack's state knows no resources, so containers, the network and volumes
# of this project left on the engine by an earlier run that never reached down (killed, another
# checkout's state) would make its first create fail ("network ... already exists"). They are test
# data: removed, saying what was found. The alert sink is not the stack's and stays.
remove_orphans() {
  local ids vols
  ids="$( { docker ps -aq --filter "label=logging-bootstrap.project=$TESTENV_PROJECT"; docker ps -aq --filter "name=^$TESTENV_PROJECT-"; } | sort -u \
    | while read -r id; do [ "$(docker inspect -f '{{.Name}}' "$id" 2>/dev/null)" = "/$TESTENV_SINK_NAME" ] || echo "$id"; done)"
  if [ -n "$ids" ]; then
    log "fresh stack: removing $(echo "$ids" | wc -l) container(s) of $TESTENV_PROJECT left by an earlier run"
    echo "$ids" | xargs -r timeout 120 docker rm -f -v >/dev/null || die "removing leftover containers failed"
  fi
  if docker network inspect "$TESTENV_PROJECT-net" >/dev/null 2>&1; then
    log "fresh stack: removing network $TESTENV_PROJECT-net left by an earlier run"
    timeout 60 docker network rm "$TESTENV_PROJECT-net" >/dev/null || die "removing network $TESTENV_PROJECT-net failed"
  fi
  vols="$( { docker volume ls -q --filter "label=logging-bootstrap.project=$TESTENV_PROJECT"; docker volume ls -q --filter "name=^$TESTENV_PROJECT-"; } | sort -u)"
  if [ -n "$vols" ]; then
    log "fresh stack: removing $(echo "$vols" | wc -l) volume(s) of $TESTENV_PROJECT left by an earlier run"
    echo "$vols" | xargs -r timeout 120 docker volume rm >/dev/null || die "removing leftover volumes failed"
  fi
}

# Host c's TLS client certificate as the three secure: leaves of hosts[2].docker.tls, each piped from
# its file (never on a command line, never printed), in the generated stack file only.
set_fleet_tls_leaves() { # set_fleet_tls_leaves <pulumi config args...>
  local i leaf file
  i="$(fleet_host_position "$TESTENV_FLEET_TLS_HOST")" || die "host $TESTENV_FLEET_TLS_HOST is not in $TESTENV_FLEET_OVERLAY"
  for leaf in caPem:ca.pem certPem:cert.pem keyPem:key.pem; do
    file="$TESTENV_FLEET_TLS_DIR/${leaf#*:}"
    [ -s "$file" ] || die "$file is missing (test/env/fleet/tls.sh makes it; ensure_fleet runs it)"
    pulumi config set "$@" --secret --path "logging-bootstrap:hosts[$i].docker.tls.${leaf%%:*}" <"$file" >/dev/null \
      || die "setting hosts[$i].docker.tls.${leaf%%:*} in $TESTENV_STACK_FILE failed"
  done
}
# The position of a host in the fleet's hosts list (the central host is 0).
fleet_host_position() {
  local i=1 h
  for h in $TESTENV_FLEET_HOSTS; do [ "${h%%:*}" = "$1" ] && { printf '%s' "$i"; return 0; }; i=$((i + 1)); done
  return 1
}

# ensure_fleet: hosts b (its engine on a unix socket) and c (its engine also on tcp://10.250.2.2:2376,
# TLS with client certificates) up (hosts.sh: idempotent for a running host), c's certificates made
# first. Root only (network namespaces).
ensure_fleet() {
  local h name index json
  [ "$(id -u)" = 0 ] || die "TESTENV_FLEET=1 needs root (network namespaces and a dockerd per host)"
  command -v jq >/dev/null || die "TESTENV_FLEET=1 needs jq (apt-get install -y jq)"
  bash "$TESTENV_FLEET_DIR/tls.sh" "$TESTENV_FLEET_TLS_DIR" "$TESTENV_FLEET_TLS_ADDR" >/dev/null || die "making host $TESTENV_FLEET_TLS_HOST's TLS certificates failed"
  for h in $TESTENV_FLEET_HOSTS; do
    name="${h%%:*}" index="${h##*:}"
    if [ "$name" = "$TESTENV_FLEET_TLS_HOST" ]; then json="$(FLEET_TLS_DIR="$TESTENV_FLEET_TLS_DIR" fleet_hosts up "$name" "$index")" || die "fleet host $name did not come up"
    else json="$(FLEET_TLS_DIR='' fleet_hosts up "$name" "$index")" || die "fleet host $name did not come up"; fi
    log "fleet host $name: $(jq -r '"engine \(.serverVersion) on \(.tcp // .docker), address \(.address)"' <<<"$json")"
  done
}

# down_fleet: the fleet hosts' project volumes (test data, like the central host's), then the hosts
# themselves in hosts.sh's order (TESTENV_PURGE=1: their data-roots too; else their image caches stay).
down_fleet() {
  local h name sock vols rc=0
  for h in $TESTENV_FLEET_HOSTS; do
    name="${h%%:*}" sock="/run/logging-fleet/$name/docker.sock"
    [ -d "/run/logging-fleet/$name" ] || ip netns list 2>/dev/null | grep -q "^fleet-$name\b" || continue
    if timeout 10 docker -H "unix://$sock" info >/dev/null 2>&1; then
      timeout 60 docker -H "unix://$sock" ps -aq | xargs -r timeout 60 docker -H "unix://$sock" rm -f -v >/dev/null 2>&1 || true
      vols="$( { timeout 20 docker -H "unix://$sock" volume ls -q --filter "label=logging-bootstrap.project=$TESTENV_PROJECT"; timeout 20 docker -H "unix://$sock" volume ls -q --filter "name=^$TESTENV_PROJECT-"; } | sort -u)"
      [ -z "$vols" ] || timeout 60 docker -H "unix://$sock" volume rm $vols >/dev/null || rc=1
    fi
    FLEET_PURGE="${TESTENV_PURGE:-0}" fleet_hosts down "$name" >/dev/null || { log "WARNING: taking fleet host $name down failed"; rc=1; }
  done
  return $rc
}

# The alert sink (test/env/doubles/alert-sink): the receiver Alertmanager posts to. Not part of the
# stack (so not labelled as the stack's: destroy must not be expected to remove it; down removes it
# by name): it runs on Docker's default bridge, published on 127.0.0.1 (verify reads what it got) and
# on that bridge's gateway address, which the stack's containers reach through their own gateway.
TESTENV_SINK_PORT=19108
# Its SMTP side (Alertmanager's email integration; smarthost <gateway>:19109, require_tls false)
# takes mail only after AUTH with this test-only credential (variants use the same pair).
TESTENV_SINK_SMTP_PORT=19109
TESTENV_SINK_SMTP_USER=alertmanager
TESTENV_SINK_SMTP_PASSWORD=sink-smtp-password
TESTENV_SINK_NAME="$TESTENV_PROJECT-alert-sink"
TESTENV_SINK_IMAGE="$TESTENV_REGISTRY/testenv/alert-sink:1"
sink_gateway() {
  wait_for 30 "the gateway address of Docker's default bridge" bridge_gateway_probe || return 1
  printf '%s' "$WAIT_SEEN"
}
# The default bridge's IPv4 gateway: IPAM's Gateway, else the IPv4 address of the bridge's host
# interface (docker0). On an engine's first start on a machine (no docker0 before it) IPAM lists
# only the subnet, and does so until the engine restarts (moby/moby#26799): the interface's address
# is the one the host has there either way. Prints the address and nothing else, or what it saw.
bridge_gateway_probe() {
  local seen gw ifname addr
  seen="$(timeout 10 docker network inspect bridge --format '{{range .IPAM.Config}}{{.Gateway}} {{end}}|{{index .Options "com.docker.network.bridge.name"}}' 2>&1)" \
    || { printf 'docker network inspect bridge failed: %s\n' "$seen"; return 1; }
  gw="$(first_ipv4 "${seen%%|*}")"
  if [ -n "$gw" ]; then printf '%s' "$gw"; return 0; fi
  ifname="${seen##*|}"; ifname="${ifname:-docker0}"
  addr="$(ip -4 -o addr show dev "$ifname" 2>&1)" || { printf 'IPAM gateway: none (IPAM config: %s); ip addr show dev %s: %s\n' "${seen%%|*}" "$ifname" "$addr"; return 1; }
  gw="$(first_ipv4 "$(printf '%s\n' "$addr" | awk '{ for (i = 1; i < NF; i++) if ($i == "inet") print $(i + 1) }')")"
  if [ -n "$gw" ]; then printf '%s' "$gw"; return 0; fi
  printf 'IPAM gateway: none (IPAM config: %s); no IPv4 address on %s: %s\n' "${seen%%|*}" "$ifname" "${addr:-(no output)}"
  return 1
}
# first_ipv4 "<words>": the first word that is an IPv4 address (a /prefix is dropped), else nothing.
first_ipv4() {
  local w
  for w in $1; do
    w="${w%%/*}"
    if [[ "$w" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]]; then printf '%s' "$w"; return 0; fi
  done
  return 0
}
ensure_alert_sink() {
  local gw want have conf
  gw="$(sink_gateway)" || die "no gateway address on Docker's default bridge"
  want="$(docker image inspect --format '{{.Id}}' "$TESTENV_SINK_IMAGE" 2>/dev/null)" || die "no image $TESTENV_SINK_IMAGE (test/env/build-images.sh)"
  # What the container was started with (ports, SMTP credential) is in a label, so a change of
  # either (or a container from before the SMTP port) recreates it, like a new image does.
  conf="$(printf '%s\n' "$gw" "$TESTENV_SINK_PORT" "$TESTENV_SINK_SMTP_PORT" "$TESTENV_SINK_SMTP_USER" "$TESTENV_SINK_SMTP_PASSWORD" | sha256sum | cut -c1-16)"
  have="$(docker inspect --format '{{.Image}} {{.State.Running}} {{index .Config.Labels "logging-testenv.sink-config"}}' "$TESTENV_SINK_NAME" 2>/dev/null || true)"
  if [ "$have" != "$want true $conf" ]; then
    docker rm -f "$TESTENV_SINK_NAME" >/dev/null 2>&1 || true
    # The password goes in through docker's environment, not its command line.
    ALERT_SINK_SMTP_AUTH_PASSWORD="$TESTENV_SINK_SMTP_PASSWORD" docker run -d --name "$TESTENV_SINK_NAME" --restart unless-stopped \
      --label logging-testenv.kind=sink --label "logging-testenv.sink-config=$conf" \
      -e "ALERT_SINK_SMTP_AUTH_USERNAME=$TESTENV_SINK_SMTP_USER" -e ALERT_SINK_SMTP_AUTH_PASSWORD \
      -p "127.0.0.1:$TESTENV_SINK_PORT:8080" -p "$gw:$TESTENV_SINK_PORT:8080" \
      -p "127.0.0.1:$TESTENV_SINK_SMTP_PORT:1025" -p "$gw:$TESTENV_SINK_SMTP_PORT:1025" \
      "$TESTENV_SINK_IMAGE" --listen-address=0.0.0.0:8080 --smtp-address=0.0.0.0:1025 >/dev/null || die "starting $TESTENV_SINK_NAME failed"
  fi
  # SMTP: the greeting line (220) through the published port; the probe prints what it read.
  local smtp_probe='exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1; IFS= read -r -t 2 line <&3; printf "%s\n" "${line:-(no greeting)}"; printf "QUIT\r\n" >&3; [[ "$line" == 220* ]]'
  if ! wait_for 30 "$TESTENV_SINK_NAME on 127.0.0.1:$TESTENV_SINK_PORT" curl -fsS --max-time 2 "http://127.0.0.1:$TESTENV_SINK_PORT/-/ready" \
    || ! wait_for 30 "$TESTENV_SINK_NAME SMTP on 127.0.0.1:$TESTENV_SINK_SMTP_PORT" timeout 5 bash -c "$smtp_probe" _ "$TESTENV_SINK_SMTP_PORT"; then
    log "$TESTENV_SINK_NAME: $(docker inspect --format 'state {{.State.Status}}, exit code {{.State.ExitCode}}, restarts {{.RestartCount}}' "$TESTENV_SINK_NAME" 2>&1); its last log lines:"
    timeout 10 docker logs --tail 20 "$TESTENV_SINK_NAME" 2>&1 | sed 's/^/    /' >&2
    die "$TESTENV_SINK_NAME is not ready (HTTP 127.0.0.1:$TESTENV_SINK_PORT, SMTP 127.0.0.1:$TESTENV_SINK_SMTP_PORT)"
  fi
  log "alert sink ready: 127.0.0.1:$TESTENV_SINK_PORT (HTTP), :$TESTENV_SINK_SMTP_PORT (SMTP); Alertmanager reaches $gw:$TESTENV_SINK_PORT/{webhook,slack/<name>} and smarthost $gw:$TESTENV_SINK_SMTP_PORT"
}

# The stack's container URNs by container name (for repair / --target-replace).
container_urn() { # container_urn <container name>
  local f="$TESTENV_PULUMI_DIR/export.json"
  pulumi stack export --stack "$TESTENV_STACK" --non-interactive --file "$f" >/dev/null 2>&1 || return 1
  node -e '
    const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const r = (d.deployment.resources || []).find((x) => x.type === "docker:index/container:Container" && x.outputs && x.outputs.name === process.argv[2]);
    if (r) process.stdout.write(r.urn); else process.exit(1);' "$f" "$1"
}

# The test environment's journal: the Alloy double reads a plain stand-in of journald's files
# (<journalDir>/*.journal.jsonl; test/env/doubles/README.md). Two allowlisted units and one that is
# not (cron.service), so the allowlist is exercised end to end (L4 fails if cron reaches Loki).
seed_journal() {
  local dir="${1:-$TESTENV_HOST_ROOT/journal}" now
  mkdir -p "$dir"
  now=$(( $(date +%s) * 1000000 ))
  {
    printf '{"__REALTIME_TIMESTAMP":"%s","_SYSTEMD_UNIT":"docker.service","PRIORITY":"6","MESSAGE":"testenv journal: docker.service is running"}\n' "$now"
    printf '{"__REALTIME_TIMESTAMP":"%s","_SYSTEMD_UNIT":"ssh.service","PRIORITY":"6","MESSAGE":"testenv journal: ssh.service accepted a key"}\n' "$((now + 1))"
    printf '{"__REALTIME_TIMESTAMP":"%s","_SYSTEMD_UNIT":"cron.service","PRIORITY":"6","MESSAGE":"testenv journal: cron.service is not allowlisted"}\n' "$((now + 2))"
  } >>"$dir/system.journal.jsonl"
}
