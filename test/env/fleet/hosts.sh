#!/usr/bin/env bash
# More Docker hosts on this machine, for fleet tests: each host is a network namespace with a veth
# pair to the root namespace and a dockerd of its own (test/env/README.md, "Fleet hosts"). The
# central host is the machine's own engine.
#
#   hosts.sh up <name> <index>   create host <name> and wait for its engine; prints one JSON line
#                                (name, hostname, docker, address, centre, registry, serverVersion,
#                                and tcp when its engine also listens on TCP with TLS)
#   hosts.sh down <name>         remove it, in the documented order (FLEET_PURGE=1: its data-root too)
#   hosts.sh stop <name>         stop its dockerd only (its containers stop with it; the namespace,
#                                the registry bridge and the data-root stay): a host gone away
#   hosts.sh start <name>        start that dockerd again, as `up` started it; containers with a
#                                restart policy come back with it
#   hosts.sh status              every host: address, engine, containers; the centre address
#
# FLEET_TLS_DIR=<dir> (up): the engine also listens on tcp://<address>:2376 with --tlsverify, with
# <dir>/ca.pem, <dir>/server-cert.pem, <dir>/server-key.pem (test/env/fleet/tls.sh makes them):
# only a client certificate that CA signed is served.
#
# <name>: [a-z][a-z0-9]{0,7} (interface names are at most 15 characters); <index>: 1..254, unique.
# Host <name> with index <i>:
#   netns fleet-<name>; veth fleet-<name> in the root namespace (10.250.<i>.1/30) paired with eth0
#   in the namespace (10.250.<i>.2/30): the address the central host reaches the host on.
#   Centre address 10.250.0.1/32 on lo (label lo:fleet), routed from every namespace via its veth
#   peer: the one address every host reaches the central host on (this kernel has no dummy links).
#   It is added by the first `up` and removed by the `down` of the last host.
#   Return route 172.16.0.0/12 via 10.250.<i>.1 in the namespace: the central engine's bridge
#   containers (172.17.0.0/16 by default; no NAT on the centre, it runs --iptables=false) reach the
#   host's published ports. Nothing else is routed: no default route, traffic stays on this machine.
#   dockerd via `nsenter --net` (not `ip netns exec`, which remounts /sys and hides the cgroups) and
#   `unshare --uts` (its own host name, fleet-<name>), with its own -H unix://$FLEET_RUN/<name>/docker.sock,
#   --exec-root, --pidfile, --config-file (empty: /etc/docker/daemon.json is the centre's),
#   --cgroup-parent /fleet-<name>, --bip 10.251.<i>.1/24, --default-address-pool
#   base=10.252.<i>.0/24,size=28, --iptables=true (its rules live in the namespace only), and
#   --data-root $FLEET_DATA/<name> (kept by `down`, so volumes and images survive a restart).
#   Images come through the local registry: registry-bridge.py listens on 127.0.0.1:5000 inside the
#   namespace and relays to the centre's registry (127.0.0.1:5000 in the root namespace), so every
#   host pulls the same references with the same digests, over HTTP as dockerd allows for
#   127.0.0.0/8 without --insecure-registry.
# Every wait is a bounded poll that prints what it last saw. Needs root.
set -Eeuo pipefail   # -E: the ERR trap of `up` (undo a half-made host) also fires inside functions
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

FLEET_RUN="${FLEET_RUN:-/run/logging-fleet}"
FLEET_DATA="${FLEET_DATA:-/var/lib/logging-fleet}"
FLEET_CENTRE_ADDR=10.250.0.1
FLEET_CENTRE_LABEL=lo:fleet
FLEET_RETURN_NET=172.16.0.0/12
FLEET_REGISTRY="$TESTENV_REGISTRY"   # 127.0.0.1:5000 in every namespace (the bridge) and on the centre
FLEET_TLS_PORT=2376                  # Docker's port for TLS

flog() { log "fleet: $*"; }

valid_name() { [[ "$1" =~ ^[a-z][a-z0-9]{0,7}$ ]]; }
valid_index() { [[ "$1" =~ ^[0-9]{1,3}$ ]] && [ "$1" -ge 1 ] && [ "$1" -le 254 ]; }

# host_vars <name> [<index>]: the names and paths of one host (index only where addresses are needed).
host_vars() {
  H_NAME="$1" H_INDEX="${2:-}" H_GW="" H_ADDR="" H_BIP="" H_POOL=""
  H_NS="fleet-$1" H_VETH="fleet-$1" H_PEER="fleetp-$1" H_HOSTNAME="fleet-$1" H_CGROUP="/fleet-$1"
  H_DIR="$FLEET_RUN/$1" H_DATA="$FLEET_DATA/$1"
  H_SOCK="$H_DIR/docker.sock" H_EXEC="$H_DIR/exec" H_PIDFILE="$H_DIR/dockerd.pid" H_LOG="$H_DIR/dockerd.log"
  H_BRIDGE_PID="$H_DIR/registry-bridge.pid" H_BRIDGE_LOG="$H_DIR/registry-bridge.log"
  H_TLS="$(sed -n 's/^TLS=//p' "$H_DIR/host.env" 2>/dev/null || true)"
  if [ -n "$H_INDEX" ]; then
    H_GW="10.250.$H_INDEX.1" H_ADDR="10.250.$H_INDEX.2"
    H_BIP="10.251.$H_INDEX.1/24" H_POOL="base=10.252.$H_INDEX.0/24,size=28"
  fi
}

hdocker() { timeout "${DOCKER_TIMEOUT:-30}" docker -H "unix://$H_SOCK" "$@"; }
netns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$1"; }
link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
# The pid in <file> when that process still runs and its command line contains <text> (so a pid
# reused by an unrelated process is never signalled).
our_pid() {
  local pid; pid="$(cat "$1" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$2" || return 1
  printf '%s' "$pid"
}

# Probes for wait_for: print what they see, succeed only when it is what is wanted.
engine_answer() { hdocker info --format '{{.ServerVersion}} {{.Name}}'; }
# The engine through its TLS listener, with the client certificate of $H_TLS (what a tcp:// client sees).
tcp_answer() {
  timeout 5 docker -H "tcp://$H_ADDR:$FLEET_TLS_PORT" --tlsverify --tlscacert "$H_TLS/ca.pem" --tlscert "$H_TLS/cert.pem" --tlskey "$H_TLS/key.pem" \
    info --format '{{.ServerVersion}} {{.Name}}'
}
bridge_answer() { nsenter --net="/run/netns/$H_NS" curl -sS --max-time 2 -o /dev/null -w 'HTTP %{http_code}\n' "http://$FLEET_REGISTRY/v2/" | grep -x 'HTTP 200'; }
pid_gone() { if kill -0 "$1" 2>/dev/null; then printf 'pid %s still runs: %s\n' "$1" "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)"; return 1; fi; }
netns_gone() { if netns_exists "$1"; then printf 'netns %s still listed\n' "$1"; return 1; fi; }

centre_addr_present() { ip -4 -o addr show dev lo | grep -q " $FLEET_CENTRE_ADDR/32 "; }
ensure_centre_addr() {
  centre_addr_present && return 0
  ip addr add "$FLEET_CENTRE_ADDR/32" dev lo label "$FLEET_CENTRE_LABEL"
  flog "centre address $FLEET_CENTRE_ADDR/32 added on lo ($FLEET_CENTRE_LABEL)"
}
hosts_in_run() { find "$FLEET_RUN" -mindepth 1 -maxdepth 1 -type d -printf '%f\n' 2>/dev/null | sort; }

# index_in_use <index> <name>: another host has it (recorded, or its veth subnet is on a link).
index_in_use() {
  local d
  for d in $(hosts_in_run); do
    [ "$d" = "$2" ] && continue
    if grep -qx "INDEX=$1" "$FLEET_RUN/$d/host.env" 2>/dev/null; then printf 'host %s has index %s\n' "$d" "$1"; return 0; fi
  done
  if ip -4 -o addr show | grep -q " 10\.250\.$1\.[0-9]*/"; then printf 'an address in 10.250.%s.0/24 is on a link: %s\n' "$1" "$(ip -4 -o addr show | grep " 10\.250\.$1\.")"; return 0; fi
  return 1
}

host_json() {
  local seen; seen="$(engine_answer 2>/dev/null || true)"
  jq -cn --arg name "$H_NAME" --argjson index "$H_INDEX" --arg hostname "$H_HOSTNAME" --arg docker "unix://$H_SOCK" \
    --arg address "$H_ADDR" --arg centre "$FLEET_CENTRE_ADDR" --arg registry "$FLEET_REGISTRY" \
    --arg serverVersion "${seen%% *}" --arg dataRoot "$H_DATA" --arg tcp "${H_TLS:+tcp://$H_ADDR:$FLEET_TLS_PORT}" --arg tls "$H_TLS" \
    '{name: $name, index: $index, hostname: $hostname, docker: $docker, address: $address, centre: $centre, registry: $registry, serverVersion: $serverVersion, dataRoot: $dataRoot}
     + (if $tcp == "" then {} else {tcp: $tcp, tlsDir: $tls} end)'
}

# start_dockerd: the host's dockerd (host_vars set, the namespace made), and wait for it to answer on
# its socket (and through TLS when it has a TLS listener); fails saying what it last saw.
start_dockerd() {
  local tls=()
  if [ -n "$H_TLS" ]; then
    tls=(-H "tcp://$H_ADDR:$FLEET_TLS_PORT" --tlsverify --tlscacert "$H_TLS/ca.pem" --tlscert "$H_TLS/server-cert.pem" --tlskey "$H_TLS/server-key.pem")
  fi
  printf '{}\n' >"$H_DIR/daemon.json"
  spawn_daemon nsenter --net="/run/netns/$H_NS" unshare --uts sh -c 'hostname "$1"; shift; exec "$@"' sh "$H_HOSTNAME" \
    dockerd --config-file "$H_DIR/daemon.json" -H "unix://$H_SOCK" ${tls[@]+"${tls[@]}"} --data-root "$H_DATA" --exec-root "$H_EXEC" \
    --pidfile "$H_PIDFILE" --cgroup-parent "$H_CGROUP" --bip "$H_BIP" --default-address-pool "$H_POOL" \
    --iptables=true >>"$H_LOG" 2>&1 </dev/null &
  echo $! >"$H_DIR/launcher.pid"
  DOCKER_TIMEOUT=5 wait_for 60 "the engine of host $H_NAME on unix://$H_SOCK" engine_answer \
    || { started_process_state "$H_DIR/launcher.pid" dockerd "$H_LOG"; return 1; }
  if [ -n "$H_TLS" ]; then
    wait_for 30 "the engine of host $H_NAME on tcp://$H_ADDR:$FLEET_TLS_PORT (TLS, client certificate)" tcp_answer \
      || { started_process_state "$H_DIR/launcher.pid" dockerd "$H_LOG"; return 1; }
  fi
}

# stop_dockerd: SIGTERM its dockerd (bounded; it stops its containers and its containerd), then
# anything still running from its exec-root.
stop_dockerd() {
  local pid
  stop_pid "$H_PIDFILE" "$H_EXEC" "dockerd of host $H_NAME" 30
  stop_pid "$H_DIR/launcher.pid" "$H_EXEC" "dockerd of host $H_NAME (launcher pid)" 10
  for pid in $(pgrep -f -- "$H_EXEC/" 2>/dev/null || true); do
    printf '%s\n' "$pid" >"$H_DIR/stray.pid"
    stop_pid "$H_DIR/stray.pid" "$H_EXEC/" "leftover process of host $H_NAME" 10
  done
}

cmd_up() {
  local name="$1" index="$2" seen
  valid_name "$name" || die "fleet: host name '$name' must match [a-z][a-z0-9]{0,7}"
  valid_index "$index" || die "fleet: index '$index' must be 1..254"
  [ "$(id -u)" = 0 ] || die "fleet: needs root (network namespaces, veth, dockerd)"
  local tls="${FLEET_TLS_DIR:-}" f
  if [ -n "$tls" ]; then
    tls="$(cd "$tls" && pwd)" || die "fleet: FLEET_TLS_DIR $FLEET_TLS_DIR is not a directory"
    for f in ca.pem server-cert.pem server-key.pem cert.pem key.pem; do [ -s "$tls/$f" ] || die "fleet: $tls/$f is missing (test/env/fleet/tls.sh makes it)"; done
  fi
  host_vars "$name" "$index"
  ensure_engine      # installs dockerd if missing; the centre is this engine
  ensure_registry
  if netns_exists "$H_NS" && grep -qx "INDEX=$index" "$H_DIR/host.env" 2>/dev/null && [ "$H_TLS" = "$tls" ] && engine_answer >/dev/null 2>&1 \
    && { [ -z "$tls" ] || tcp_answer >/dev/null 2>&1; }; then
    flog "host $name is already up ($(engine_answer))"; host_json; return 0
  fi
  if netns_exists "$H_NS" || link_exists "$H_VETH" || [ -d "$H_DIR" ]; then
    flog "host $name: leftovers of an earlier run, removing them first"
    cmd_down "$name"
    host_vars "$name" "$index"
  fi
  if seen="$(index_in_use "$index" "$name")"; then die "fleet: index $index is taken ($seen)"; fi
  local new_data=1; [ ! -d "$H_DATA" ] || new_data=0   # a data-root from an earlier run is kept
  mkdir -p "$H_DIR" "$H_EXEC" "$H_DATA"   # $FLEET_RUN and $FLEET_DATA are removed by the last down
  printf 'INDEX=%s\nTLS=%s\n' "$index" "$tls" >"$H_DIR/host.env"
  H_TLS="$tls"
  # From here on, a failure removes what was made (the data-root too when this run made it).
  trap 'trap - ERR; flog "host $H_NAME did not come up: removing what was made"; FLEET_PURGE=$new_data cmd_down "$H_NAME" || true' ERR
  ip netns add "$H_NS"
  ip link add "$H_VETH" type veth peer name "$H_PEER"
  ip link set "$H_PEER" netns "$H_NS"
  ip -n "$H_NS" link set "$H_PEER" name eth0
  ip addr add "$H_GW/30" dev "$H_VETH"
  ip link set "$H_VETH" up
  ip -n "$H_NS" addr add "$H_ADDR/30" dev eth0
  ip -n "$H_NS" link set eth0 up
  ip -n "$H_NS" link set lo up
  ensure_centre_addr
  ip -n "$H_NS" route add "$FLEET_CENTRE_ADDR/32" via "$H_GW"
  ip -n "$H_NS" route add "$FLEET_RETURN_NET" via "$H_GW"
  flog "host $name: netns $H_NS, $H_VETH $H_GW/30 <-> eth0 $H_ADDR/30, routes to $FLEET_CENTRE_ADDR and $FLEET_RETURN_NET"

  # spawn_daemon (lib.sh): no inherited descriptor but 0-2, so no caller's lock outlives this script.
  spawn_daemon python3 "$HERE/registry-bridge.py" "/run/netns/$H_NS" "$FLEET_REGISTRY" "$FLEET_REGISTRY" >"$H_BRIDGE_LOG" 2>&1 </dev/null &
  echo $! >"$H_BRIDGE_PID"
  wait_for 15 "the registry bridge of host $name (http://$FLEET_REGISTRY/v2/ inside $H_NS)" bridge_answer \
    || { started_process_state "$H_BRIDGE_PID" registry-bridge "$H_BRIDGE_LOG"; false; }

  start_dockerd
  seen="$(engine_answer)"
  [ "${seen#* }" = "$H_HOSTNAME" ] || { flog "host $name: its engine reports the name '${seen#* }', not $H_HOSTNAME"; false; }
  trap - ERR
  flog "host $name up: dockerd ${seen%% *} as $H_HOSTNAME on unix://$H_SOCK${H_TLS:+ and tcp://$H_ADDR:$FLEET_TLS_PORT (TLS)}, address $H_ADDR (log: $H_LOG)"
  host_json
}

# stop_pid <pidfile> <cmdline text> <what> <seconds>: SIGTERM, bounded wait, SIGKILL as the last resort.
stop_pid() {
  local pid
  pid="$(our_pid "$1" "$2")" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for "$4" "$3 (pid $pid) to exit" pid_gone "$pid"; then
    flog "$3 (pid $pid) ignored SIGTERM for $4 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_for 5 "$3 (pid $pid) to exit after SIGKILL" pid_gone "$pid" || true
  fi
}

# Mount points at or below <dir>, deepest first.
mounts_under() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo | sort -r; }

cmd_down() {
  local name="$1" m d
  valid_name "$name" || die "fleet: host name '$name' must match [a-z][a-z0-9]{0,7}"
  host_vars "$name"
  # 1. its containers (while its engine answers)
  if engine_answer >/dev/null 2>&1; then
    local ids; ids="$(hdocker ps -aq 2>/dev/null || true)"
    if [ -n "$ids" ]; then
      # shellcheck disable=SC2086
      DOCKER_TIMEOUT=120 hdocker rm -f -v $ids >/dev/null || flog "host $name: removing containers failed"
      flog "host $name: removed $(wc -w <<<"$ids") container(s)"
    fi
  fi
  # 2. its dockerd (SIGTERM; it stops its own containerd), then anything left running from its exec-root
  stop_dockerd
  # 3. the registry bridge
  stop_pid "$H_BRIDGE_PID" "registry-bridge.py" "registry bridge of host $name" 10
  # 4. mounts dockerd leaves (<exec-root>/netns/default) and any other under its directories
  for d in "$H_DIR" "$H_DATA"; do
    for m in $(mounts_under "$d"); do umount "$m" 2>/dev/null || umount -l "$m" || flog "host $name: cannot unmount $m"; done
  done
  # 5. the veth explicitly (netns deletion is asynchronous), then the namespace
  if link_exists "$H_VETH"; then ip link del "$H_VETH"; fi
  if netns_exists "$H_NS"; then
    ip netns del "$H_NS"
    wait_for 10 "netns $H_NS to disappear" netns_gone "$H_NS" || true
  fi
  # 6. its cgroups (cgroupfs driver: <controller>/fleet-<name>/...), deepest first
  for d in /sys/fs/cgroup/*"$H_CGROUP" /sys/fs/cgroup"$H_CGROUP"; do
    if [ -d "$d" ]; then find "$d" -depth -type d -exec rmdir {} + 2>/dev/null || flog "host $name: cgroup $d not empty"; fi
  done
  rm -rf "$H_DIR"
  if [ "${FLEET_PURGE:-0}" = 1 ] && [ -d "$H_DATA" ]; then
    if [ -n "$(mounts_under "$H_DATA")" ]; then flog "host $name: $H_DATA still has mounts, kept"; else rm -rf "$H_DATA"; flog "host $name: data-root $H_DATA removed"; fi
  fi
  # 7. the centre address, once no host is left
  if [ -z "$(hosts_in_run)" ] && centre_addr_present; then
    ip addr del "$FLEET_CENTRE_ADDR/32" dev lo
    flog "centre address $FLEET_CENTRE_ADDR/32 removed from lo (no host left)"
  fi
  rmdir "$FLEET_RUN" "$FLEET_DATA" 2>/dev/null || true   # only when empty
  flog "host $name down"
}

# The index of a host that `up` made (its host.env), or die naming what is missing.
recorded_index() {
  local idx; idx="$(sed -n 's/^INDEX=//p' "$FLEET_RUN/$1/host.env" 2>/dev/null)"
  [ -n "$idx" ] && netns_exists "fleet-$1" || die "fleet: host $1 is not up (no $FLEET_RUN/$1/host.env or netns fleet-$1): hosts.sh up $1 <index>"
  printf '%s' "$idx"
}

cmd_stop() {
  local name="$1" idx
  valid_name "$name" || die "fleet: host name '$name' must match [a-z][a-z0-9]{0,7}"
  idx="$(recorded_index "$name")"
  host_vars "$name" "$idx"
  stop_dockerd
  if engine_answer >/dev/null 2>&1; then die "fleet: host $name's engine still answers after its dockerd was stopped"; fi
  flog "host $name: dockerd stopped (its namespace, registry bridge and data-root stay; hosts.sh start $name)"
}

cmd_start() {
  local name="$1" idx seen m
  valid_name "$name" || die "fleet: host name '$name' must match [a-z][a-z0-9]{0,7}"
  idx="$(recorded_index "$name")"
  host_vars "$name" "$idx"
  if engine_answer >/dev/null 2>&1; then flog "host $name: its engine already answers"; host_json; return 0; fi
  stop_dockerd   # what is left of a dockerd that died (its containerd, shims), so the new one starts clean
  for m in $(mounts_under "$H_EXEC"); do umount "$m" 2>/dev/null || umount -l "$m" || true; done
  start_dockerd || die "fleet: host $name's dockerd did not come back"
  seen="$(engine_answer)"
  flog "host $name: dockerd ${seen%% *} started again"
  host_json
}

cmd_status() {
  local names n idx seen
  names="$( { hosts_in_run; ip netns list 2>/dev/null | awk '$1 ~ /^fleet-/ {sub(/^fleet-/, "", $1); print $1}'; } | sort -u)"
  printf 'centre address %s/32 on lo: %s\n' "$FLEET_CENTRE_ADDR" "$(centre_addr_present && echo present || echo absent)"
  [ -n "$names" ] || { printf 'no fleet hosts\n'; return 0; }
  for n in $names; do
    idx="$(sed -n 's/^INDEX=//p' "$FLEET_RUN/$n/host.env" 2>/dev/null)"
    host_vars "$n" "$idx"
    seen="$(DOCKER_TIMEOUT=5 engine_answer 2>&1 | head -n 1 || true)"
    printf '%s: index %s, address %s, netns %s, veth %s, dockerd %s, bridge %s, engine: %s, containers: %s\n' \
      "$n" "${idx:-?}" "${H_ADDR:-?}" \
      "$(netns_exists "$H_NS" && echo yes || echo no)" \
      "$(link_exists "$H_VETH" && echo yes || echo no)" \
      "$(our_pid "$H_PIDFILE" "$H_EXEC" || echo none)" \
      "$(our_pid "$H_BRIDGE_PID" registry-bridge.py || echo none)" \
      "${seen:-no answer}" \
      "$(DOCKER_TIMEOUT=5 hdocker ps -q 2>/dev/null | wc -l || echo '?')"
  done
}

main() {
  # One hosts.sh at a time (fd 9; the daemons it starts do not inherit it).
  exec 9>"$TESTENV_TMP/fleet-hosts.lock"
  flock -w 120 9 || die "fleet: another hosts.sh holds $TESTENV_TMP/fleet-hosts.lock for more than 120 s"
  case "${1:-}" in
    up) [ $# -eq 3 ] || die "usage: hosts.sh up <name> <index>"; cmd_up "$2" "$3" ;;
    down) [ $# -eq 2 ] || die "usage: hosts.sh down <name>"; cmd_down "$2" ;;
    stop) [ $# -eq 2 ] || die "usage: hosts.sh stop <name>"; cmd_stop "$2" ;;
    start) [ $# -eq 2 ] || die "usage: hosts.sh start <name>"; cmd_start "$2" ;;
    status) cmd_status ;;
    *) die "usage: hosts.sh up <name> <index> | down <name> | stop <name> | start <name> | status" ;;
  esac
}
main "$@"
