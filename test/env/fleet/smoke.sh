#!/usr/bin/env bash
# Proves hosts.sh: brings up fleet hosts b and c, runs a container from the local registry on each,
# shows it reaches a port on the central host's address and that the central host (the machine and
# a container on its engine) reaches a port published on each host, then tears both down and checks
# that nothing is left (no netns, veth, dockerd/containerd/bridge process, mount, cgroup, directory
# or centre address). The central engine's other containers are not touched.
#   test/env/fleet/smoke.sh      (root; while nothing else uses the test environment's engine)
# Ports: 19180 (the centre's probe server, on the centre address), 19181 (each host's, on its
# address). Containers: fleet-smoke-*. Every wait is bounded; every container is removed on exit.
set -Eeuo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib.sh
source "$HERE/../lib.sh"

HOSTS=(b:1 c:2)
CENTRE_ADDR=10.250.0.1
CENTRE_PORT=19180
HOST_PORT=19181
PROBE_IMAGE="$TESTENV_REGISTRY/testenv/busybox:1.35"
CENTRE_CONTAINER=fleet-smoke-centre
WWW="$(mktemp -d /tmp/fleet-smoke.XXXXXX)"
TOKEN="$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')"   # tells this run's answers from any other
PASS=0 FAIL=0

say() { printf '[fleet-smoke %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
check() { local what="$1"; shift; if "$@"; then PASS=$((PASS + 1)); say "ok   $what"; else FAIL=$((FAIL + 1)); say "FAIL $what"; fi; }
hosts() { bash "$HERE/hosts.sh" "$@"; }
on() { local sock="/run/logging-fleet/$1/docker.sock"; shift; timeout 120 docker -H "unix://$sock" "$@"; }
pulls() { on "$1" pull -q "$2" >/dev/null; }
equals() { [ "$1" = "$2" ] || { say "     saw '$1', wanted '$2'"; return 1; }; }

cleanup() {
  local h
  timeout 60 docker rm -f -v "$CENTRE_CONTAINER" >/dev/null 2>&1 || true
  for h in "${HOSTS[@]}"; do FLEET_PURGE=1 hosts down "${h%%:*}" >/dev/null 2>&1 || true; done
  rm -rf "$WWW"
}
trap cleanup EXIT

# The probe server's answer to GET <url> (curl from the machine), or curl's error.
fetch() { curl -sS --max-time 3 "$1"; }
fetch_is() { local got; got="$(fetch "$1" 2>&1)"; printf '%s\n' "$got"; [ "$got" = "$2" ]; }

registry_digest_of() { # the digest 127.0.0.1:5000 serves for repo:tag
  local repo="${1#"$TESTENV_REGISTRY"/}"
  curl -fsSI --max-time 5 -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
    "http://$TESTENV_REGISTRY/v2/${repo%:*}/manifests/${repo##*:}" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}'
}

prove_host() { # prove_host <name> <address>
  local n="$1" addr="$2" digest got
  say "== host $n ($addr)"
  check "$n: engine named fleet-$n (own UTS namespace)" equals "$(on "$n" info --format '{{.Name}}')" "fleet-$n"
  check "$n: pulls $PROBE_IMAGE through the registry bridge" pulls "$n" "$PROBE_IMAGE"
  digest="$(registry_digest_of "$PROBE_IMAGE")"
  check "$n: RepoDigest is the registry's $digest" \
    bash -c "docker -H unix:///run/logging-fleet/$n/docker.sock image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' '$PROBE_IMAGE' | grep -qx '${PROBE_IMAGE%:*}@$digest'"
  got="$(on "$n" run --rm --name "fleet-smoke-probe-$n" "$PROBE_IMAGE" wget -q -O - "http://$CENTRE_ADDR:$CENTRE_PORT/token" 2>&1 || true)"
  check "$n: a container on it reaches the centre's port $CENTRE_ADDR:$CENTRE_PORT" equals "$got" "centre $TOKEN"
  on "$n" run -d --name "fleet-smoke-web-$n" -p "$HOST_PORT:8080" "$PROBE_IMAGE" \
    sh -c "mkdir -p /www && echo 'host $n $TOKEN' >/www/token && exec httpd -f -p 8080 -h /www" >/dev/null
  check "$n: the machine reaches its published port $addr:$HOST_PORT" \
    wait_for 30 "host $n's published port from the machine" fetch_is "http://$addr:$HOST_PORT/token" "host $n $TOKEN"
  got="$(timeout 60 docker run --rm --name "fleet-smoke-from-centre-$n" "$PROBE_IMAGE" wget -q -O - "http://$addr:$HOST_PORT/token" 2>&1 || true)"
  check "$n: a container on the central engine reaches $addr:$HOST_PORT (return route)" equals "$got" "host $n $TOKEN"
  check "$n: its container is not on the central engine" bash -c "! docker ps -a --format '{{.Names}}' | grep -qx 'fleet-smoke-web-$n'"
  check "$n: the central engine's containers are not on it" equals "$(on "$n" ps -a --format '{{.Names}}' | tr '\n' ' ')" "fleet-smoke-web-$n "
}

# What a removed host may leave behind, each printed when found.
leftovers() {
  local found=0 l
  l="$(ip netns list | grep -E '^fleet-' || true)"; [ -z "$l" ] || { say "     netns left: $l"; found=1; }
  l="$(ip -o link show | grep -oE ' fleetp?-[a-z0-9]+[@:]' || true)"; [ -z "$l" ] || { say "     links left: $l"; found=1; }
  l="$(pgrep -af -- '/run/logging-fleet/' || true)"; [ -z "$l" ] || { say "     processes left: $l"; found=1; }
  l="$(grep -E '/run/logging-fleet|/var/lib/logging-fleet|/run/netns/fleet-' /proc/self/mountinfo || true)"; [ -z "$l" ] || { say "     mounts left: $l"; found=1; }
  l="$(ip -4 -o addr show dev lo | grep " $CENTRE_ADDR/" || true)"; [ -z "$l" ] || { say "     centre address left: $l"; found=1; }
  l="$(ls -d /sys/fs/cgroup/*/fleet-* /sys/fs/cgroup/fleet-* 2>/dev/null || true)"; [ -z "$l" ] || { say "     cgroups left: $l"; found=1; }
  l="$(ls -d /run/logging-fleet /var/lib/logging-fleet 2>/dev/null || true)"; [ -z "$l" ] || { say "     directories left: $l"; found=1; }
  return "$found"
}

main() {
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
  ensure_engine
  ensure_registry
  [ -n "$(registry_digest_of "$PROBE_IMAGE")" ] || die "$PROBE_IMAGE is not in the registry: run test/env/build-images.sh"
  timeout 120 docker pull -q "$PROBE_IMAGE" >/dev/null
  check "nothing of a fleet host before the run" leftovers
  local testenv_before; testenv_before="$(docker ps -aq --filter label=logging-bootstrap.project=logging-testenv | sort | tr '\n' ' ')"

  local h n i t0 json addrs=()
  for h in "${HOSTS[@]}"; do
    n="${h%%:*}" i="${h##*:}"
    t0=$SECONDS
    json="$(hosts up "$n" "$i")"
    say "up $n in $((SECONDS - t0)) s: $json"
    check "$n: up reports address 10.250.$i.2" equals "$(jq -r .address <<<"$json")" "10.250.$i.2"
    addrs+=("$n:$(jq -r .address <<<"$json")")
  done
  hosts status >&2

  mkdir -p "$WWW"; printf 'centre %s\n' "$TOKEN" >"$WWW/token"; chmod -R a+rX "$WWW"
  docker rm -f "$CENTRE_CONTAINER" >/dev/null 2>&1 || true
  timeout 60 docker run -d --name "$CENTRE_CONTAINER" -p "$CENTRE_ADDR:$CENTRE_PORT:8080" -v "$WWW:/www:ro" \
    "$PROBE_IMAGE" httpd -f -p 8080 -h /www >/dev/null
  check "centre: probe server on $CENTRE_ADDR:$CENTRE_PORT" \
    wait_for 30 "the centre's probe server" fetch_is "http://$CENTRE_ADDR:$CENTRE_PORT/token" "centre $TOKEN"

  for h in "${addrs[@]}"; do prove_host "${h%%:*}" "${h#*:}"; done

  timeout 60 docker rm -f -v "$CENTRE_CONTAINER" >/dev/null
  for h in "${HOSTS[@]}"; do
    n="${h%%:*}" t0=$SECONDS
    FLEET_PURGE=1 hosts down "$n"
    say "down $n in $((SECONDS - t0)) s"
  done
  check "nothing of a fleet host after down (netns, links, processes, mounts, centre address, cgroups, directories)" leftovers
  check "the test environment's containers are as before" \
    equals "$(docker ps -aq --filter label=logging-bootstrap.project=logging-testenv | sort | tr '\n' ' ')" "$testenv_before"
  echo "fleet-smoke: $PASS passed, $FAIL failed"
  [ "$FAIL" = 0 ]
}
main "$@"
