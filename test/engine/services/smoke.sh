#!/usr/bin/env bash
# Smoke-proves the images test/env/build-images.sh makes from the upstream builds: runs each on the
# local engine with a minimal config, published on 127.0.0.1 only, checks it, and removes every
# container it started (trap). Images that were not built are reported as skipped.
#   test/engine/services/smoke.sh [prometheus-v3 prometheus-v2 upgrade alertmanager node-exporter cadvisor caddy]
# Ports: 29090 (prometheus 3), 29091 (prometheus 2), 29092 (2.55.1 -> 3.14.0 upgrade drill), 29093 (alertmanager), 29100 (node_exporter),
# 29080 (cadvisor), 29443 and 29081 (caddy: the TLS gateway, the image's default site). Every wait is bounded.
set -euo pipefail
REG=127.0.0.1:5000
PREFIX=services-smoke
TMP="$(mktemp -d /tmp/services-smoke.XXXXXX)"
PASS=0; FAIL=0; SKIP=0
STARTED=()
NETWORKS=()

cleanup() {
  local c
  for c in "${STARTED[@]}"; do docker rm -f -v "$c" >/dev/null 2>&1 || true; done
  for c in "${NETWORKS[@]}"; do docker network rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

say() { printf '[smoke %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
ok() { PASS=$((PASS + 1)); say "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); say "FAIL $*"; }
check() { local what="$1"; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
lacks() { ! grep -q -- "$1" <<<"$2"; }   # a function, not bash -c: a /metrics text can exceed one argument's 128 KiB

# wait_http <seconds> <url>: 200 within the time
wait_http() {
  local i
  for i in $(seq 1 $(($1 * 4))); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$2" 2>/dev/null)" = 200 ] && return 0
    sleep 0.25
  done
  return 1
}

have_image() {
  if docker image inspect "$1" >/dev/null 2>&1 || timeout 120 docker pull -q "$1" >/dev/null 2>&1; then return 0; fi
  SKIP=$((SKIP + 1)); say "skip $1 (not built: run test/engine/build-services.sh, then test/env/build-images.sh upstream)"
  return 1
}

run() { # run <name> <docker run args...>: detached, remembered for cleanup
  local name="$PREFIX-$1"; shift
  docker rm -f -v "$name" >/dev/null 2>&1 || true
  STARTED+=("$name")
  docker run -d --name "$name" "$@" >/dev/null
}


# Prometheus <tag> <port> <name> <major>: ready, buildinfo version, PromQL on its own scrape,
# promtool check config (good and broken config), --version, what / (the UI) answers.
prove_prometheus() {
  local tag="$1" port="$2" name="$3" version="${1#v}" ref="$REG/testenv/prometheus:$1" fails="$FAIL"
  have_image "$ref" || return 0
  say "== $ref"
  local cfg="$TMP/$name"; mkdir -p "$cfg"
  cat >"$cfg/prometheus.yml" <<'EOF'
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["localhost:9090"]
EOF
  if [ "${version%%.*}" = 3 ]; then # 3.8+: retention in the config file (as the program renders it)
    printf 'storage:\n  tsdb:\n    retention:\n      time: 2h\n' >>"$cfg/prometheus.yml"
  fi
  chmod -R a+rX "$cfg"
  run "$name" -p "127.0.0.1:$port:9090" -v "$cfg:/etc/prometheus-smoke:ro" "$ref" \
    --config.file=/etc/prometheus-smoke/prometheus.yml --storage.tsdb.path=/prometheus --web.enable-lifecycle
  local base="http://127.0.0.1:$port"
  check "$name /-/ready 200" wait_http 60 "$base/-/ready"
  local v; v="$(curl -fsS --max-time 5 "$base/api/v1/status/buildinfo" | jq -r .data.version)"
  check "$name buildinfo version $v = $version" [ "$v" = "$version" ]
  say "     buildinfo: $(curl -fsS --max-time 5 "$base/api/v1/status/buildinfo" | jq -c .data)"
  local i r=""
  for i in $(seq 1 40); do # its own scrape lands within a few seconds
    r="$(curl -fsS --max-time 5 "$base/api/v1/query" --data-urlencode 'query=sum(up{job="prometheus"}) * 2' | jq -r '.data.result[0].value[1] // empty')"
    [ "$r" = 2 ] && break; sleep 0.5
  done
  check "$name PromQL sum(up{job=\"prometheus\"}) * 2 = ${r:-none}" [ "$r" = 2 ]
  local series; series="$(curl -fsS --max-time 5 "$base/api/v1/query" --data-urlencode 'query=count({__name__=~"prometheus_.+"})' | jq -r '.data.result[0].value[1] // 0')"
  check "$name has $series prometheus_* series" [ "$series" -gt 0 ]
  local rt; rt="$(curl -fsS --max-time 5 "$base/api/v1/status/runtimeinfo" | jq -r .data.storageRetention)"
  say "     storageRetention: $rt"
  check "$name promtool check config (mounted config)" \
    docker run --rm --entrypoint /bin/promtool -v "$cfg:/etc/prometheus-smoke:ro" "$ref" check config /etc/prometheus-smoke/prometheus.yml
  check "$name promtool check config (image default config)" \
    docker run --rm --entrypoint /bin/promtool "$ref" check config /etc/prometheus/prometheus.yml
  printf 'scrape_configs:\n  - job_name: x\n    bogus_key: 1\n' >"$cfg/broken.yml"; chmod a+r "$cfg/broken.yml"
  check "$name promtool rejects a broken config" \
    bash -c "! docker run --rm --entrypoint /bin/promtool -v '$cfg:/etc/prometheus-smoke:ro' '$ref' check config /etc/prometheus-smoke/broken.yml >/dev/null 2>&1"
  check "$name prometheus --version says $version" \
    bash -c "docker run --rm '$ref' --version 2>&1 | grep -q 'version $version'"
  say "     $(docker run --rm "$ref" --version 2>&1 | head -n 1)"
  say "     $(docker run --rm --entrypoint /bin/promtool "$ref" --version 2>&1 | head -n 1)"
  check "$name /-/reload (lifecycle API) 200" \
    bash -c "[ \"\$(curl -s -o /dev/null -w '%{http_code}' -X POST --max-time 5 '$base/-/reload')\" = 200 ]"
  check "$name image user is nobody" [ "$(docker image inspect -f '{{.Config.User}}' "$ref")" = nobody ]
  check "$name wget (busybox) healthcheck works inside" docker exec "$PREFIX-$name" wget -q -O /dev/null http://localhost:9090/-/healthy
  say "     UI: GET / -> $(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --max-time 5 "$base/"), GET /query -> $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/query"), GET /graph -> $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/graph")"
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-$name" 2>&1 | sed 's/^/    | /' >&2 || true
}

# Upgrade drill: 2.55.1 writes a TSDB into a named volume, stops cleanly; 3.14.0 opens the same
# volume and still answers a query over what 2.55.1 scraped.
prove_upgrade() {
  local old="$REG/testenv/prometheus:v2.55.1" new="$REG/testenv/prometheus:v3.14.0" fails="$FAIL"
  have_image "$old" || return 0
  have_image "$new" || return 0
  say "== upgrade drill $old -> $new"
  local vol="$PREFIX-upgrade-data" cfg="$TMP/upgrade" base=http://127.0.0.1:29092
  mkdir -p "$cfg"
  printf 'global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["localhost:9090"]\n' >"$cfg/prometheus.yml"
  chmod -R a+rX "$cfg"
  docker volume rm -f "$vol" >/dev/null 2>&1 || true
  docker volume create "$vol" >/dev/null
  run upgrade-old -p 127.0.0.1:29092:9090 -v "$vol:/prometheus" -v "$cfg:/etc/prometheus-smoke:ro" "$old" \
    --config.file=/etc/prometheus-smoke/prometheus.yml --storage.tsdb.path=/prometheus
  check "upgrade: 2.55.1 ready" wait_http 60 "$base/-/ready"
  local t0 i n=0
  t0="$(date +%s)"
  for i in $(seq 1 40); do
    n="$(curl -fsS --max-time 5 "$base/api/v1/query" --data-urlencode 'query=count_over_time(up{job="prometheus"}[10m])' | jq -r '.data.result[0].value[1] // 0')"
    [ "$n" -ge 5 ] && break; sleep 0.5
  done
  local t1; t1="$(date +%s)"
  check "upgrade: 2.55.1 scraped $n samples of up" [ "$n" -ge 5 ]
  check "upgrade: 2.55.1 stops cleanly" bash -c "docker stop -t 30 '$PREFIX-upgrade-old' >/dev/null && [ \"\$(docker inspect -f '{{.State.ExitCode}}' '$PREFIX-upgrade-old')\" = 0 ]"
  docker rm -f "$PREFIX-upgrade-old" >/dev/null
  run upgrade-new -p 127.0.0.1:29092:9090 -v "$vol:/prometheus" -v "$cfg:/etc/prometheus-smoke:ro" "$new" \
    --config.file=/etc/prometheus-smoke/prometheus.yml --storage.tsdb.path=/prometheus
  check "upgrade: 3.14.0 ready on 2.55.1's TSDB" wait_http 90 "$base/-/ready"
  local v; v="$(curl -fsS --max-time 5 "$base/api/v1/status/buildinfo" | jq -r .data.version)"
  # time=t1+1: t1 is truncated to the second, so a sample 2.55.1 took within t1's second is after t1
  local old_n; old_n="$(curl -fsS --max-time 5 "$base/api/v1/query" --data-urlencode "query=count_over_time(up{job=\"prometheus\"}[$((t1 - t0 + 60))s])" --data-urlencode "time=$((t1 + 1))" | jq -r '.data.result[0].value[1] // 0')"
  check "upgrade: $v reads the $old_n samples 2.55.1 wrote (>= $n)" test "$v" = 3.14.0 -a "$old_n" -ge "$n"
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-upgrade-new" 2>&1 | sed 's/^/    | /' >&2 || true
  docker rm -f -v "$PREFIX-upgrade-new" >/dev/null 2>&1 || true
  docker volume rm -f "$vol" >/dev/null 2>&1 || true
}

prove_alertmanager() {
  local ref="$REG/testenv/alertmanager:v0.35.0" name=alertmanager fails="$FAIL"
  have_image "$ref" || return 0
  say "== $ref"
  run "$name" -p 127.0.0.1:29093:9093 "$ref"   # the image's CMD: its own config and /alertmanager
  local base=http://127.0.0.1:29093
  check "$name /-/ready 200" wait_http 60 "$base/-/ready"
  local s; s="$(curl -fsS --max-time 5 "$base/api/v2/status")"
  say "     /api/v2/status versionInfo: $(jq -c .versionInfo <<<"$s"), cluster: $(jq -r .cluster.status <<<"$s")"
  check "$name /api/v2/status version 0.35.0" [ "$(jq -r .versionInfo.version <<<"$s")" = 0.35.0 ]
  # an alert in, and out again through the API and amtool
  curl -fsS --max-time 5 -H 'Content-Type: application/json' -X POST "$base/api/v2/alerts" \
    -d '[{"labels":{"alertname":"SmokeTest","severity":"none"},"annotations":{"summary":"smoke"}}]' >/dev/null
  check "$name accepts and lists an alert (/api/v2/alerts)" \
    bash -c "curl -fsS --max-time 5 '$base/api/v2/alerts' | jq -e 'map(.labels.alertname) | index(\"SmokeTest\")' >/dev/null"
  check "$name amtool alert query (in the container)" \
    bash -c "docker exec '$PREFIX-$name' amtool --alertmanager.url=http://localhost:9093 alert query 2>&1 | grep -q SmokeTest"
  check "$name amtool check-config" docker exec "$PREFIX-$name" amtool check-config /etc/alertmanager/alertmanager.yml
  say "     $(docker run --rm "$ref" --version 2>&1 | head -n 1)"
  check "$name image user is nobody" [ "$(docker image inspect -f '{{.Config.User}}' "$ref")" = nobody ]
  check "$name wget (busybox) healthcheck works inside" docker exec "$PREFIX-$name" wget -q -O /dev/null http://localhost:9093/-/healthy
  say "     UI: GET / -> $(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$base/"): $(curl -s --max-time 5 "$base/" | sed -e 's/<[^>]*>//g' | head -c 100)..."
  say "     UI: GET / with Accept-Encoding: br (as browsers send) -> $(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip, deflate, br' --max-time 5 "$base/"); GET /ui/ -> $(curl -s -o /dev/null -w '%{http_code}' -H 'Accept-Encoding: gzip' --max-time 5 "$base/ui/")"
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-$name" 2>&1 | sed 's/^/    | /' >&2 || true
}

prove_node_exporter() {
  local ref="$REG/testenv/node-exporter:v1.12.1" name=node-exporter fails="$FAIL"
  have_image "$ref" || return 0
  say "== $ref"
  # as the program runs it: the host's / read-only at /host, --path.rootfs=/host (no rslave: this
  # machine's / is not a shared mount, and the program does not ask for propagation either)
  run "$name" -p 127.0.0.1:29100:9100 -v /:/host:ro "$ref" --path.rootfs=/host --web.listen-address=:9100
  local base=http://127.0.0.1:29100
  check "$name /metrics 200" wait_http 60 "$base/metrics"
  local m; m="$(curl -fsS --max-time 10 "$base/metrics")"
  local n; n="$(grep -c '^node_' <<<"$m" || true)"
  check "$name /metrics has $n node_* samples" [ "$n" -gt 100 ]
  say "     $(grep '^node_exporter_build_info' <<<"$m")"
  check "$name build_info version 1.12.1" grep -q 'node_exporter_build_info{.*version="1.12.1"' <<<"$m"
  check "$name node_filesystem_size_bytes present (rootfs)" grep -q '^node_filesystem_size_bytes' <<<"$m"
  check "$name wget (busybox) healthcheck works inside" docker exec "$PREFIX-$name" wget -q -O /dev/null http://localhost:9100/metrics
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-$name" 2>&1 | sed 's/^/    | /' >&2 || true
}

# cAdvisor (our main over cAdvisor's library modules): as the program runs it (its mounts and
# flags), privileged unless the engine refuses that (the testenv's cadvisor.privileged: false);
# /healthz, healthcheck.sh, container_* series of a container running on this engine, the version
# it reports, the JSON API.
prove_cadvisor() {
  local ref="$REG/testenv/cadvisor:v0.60.5" name=cadvisor fails="$FAIL" target="$PREFIX-cadvisor-target"
  have_image "$ref" || return 0
  have_image "$REG/testenv/busybox:1.35" || return 0
  say "== $ref"
  run cadvisor-target "$REG/testenv/busybox:1.35" sleep 600
  local mounts=(-v /:/rootfs:ro -v /var/run/docker.sock:/var/run/docker.sock:ro -v /sys:/sys:ro
    -v /var/lib/docker:/var/lib/docker:ro -v /dev/disk:/dev/disk:ro)
  local flags=(--port=8080 --docker_only=true --housekeeping_interval=30s --store_container_labels=false)
  local err mode=privileged
  STARTED+=("$PREFIX-$name")   # run in $(...) below: its own STARTED+= is lost with the subshell
  if ! err="$(run "$name" -p 127.0.0.1:29080:8080 --privileged "${mounts[@]}" "$ref" "${flags[@]}" 2>&1)"; then
    say "     the engine refuses --privileged ($(grep -m1 -o 'Error.*' <<<"$err" || tail -n 1 <<<"$err")): running it unprivileged, as cadvisor.privileged: false"
    mode=unprivileged
    run "$name" -p 127.0.0.1:29080:8080 "${mounts[@]}" "$ref" "${flags[@]}"
  fi
  local base=http://127.0.0.1:29080
  check "$name ($mode) /healthz 200" wait_http 60 "$base/healthz"
  check "$name healthcheck.sh" docker exec "$PREFIX-$name" /usr/bin/healthcheck.sh
  local i m=""
  for i in $(seq 1 40); do # the first housekeeping of a new container takes a moment
    m="$(curl -fsS --max-time 20 "$base/metrics" || true)"
    grep -q "^container_cpu_usage_seconds_total{.*name=\"$target\"" <<<"$m" && break
    sleep 0.5
  done
  say "     /metrics: $(grep -c '^container_' <<<"$m" || true) container_* samples, $(grep '^container_' <<<"$m" | grep -o 'name="[^"]*"' | sort -u | wc -l) named containers"
  check "$name container_cpu_usage_seconds_total of $target" grep -q "^container_cpu_usage_seconds_total{.*name=\"$target\"" <<<"$m"
  check "$name container_memory_usage_bytes of $target (image label)" grep -q "^container_memory_usage_bytes{.*image=\"$REG/testenv/busybox:1.35\".*name=\"$target\"" <<<"$m"
  check "$name store_container_labels=false: no container_label_* labels" lacks 'container_label_' "$m"
  say "     $(grep '^cadvisor_version_info' <<<"$m" | head -n 1)"
  check "$name cadvisor_version_info cadvisorVersion v0.60.5" grep -q '^cadvisor_version_info{.*cadvisorVersion="v0.60.5"' <<<"$m"
  check "$name /api/v2.0/version = v0.60.5" [ "$(curl -fsS --max-time 5 "$base/api/v2.0/version")" = '"v0.60.5"' ]
  check "$name /api/v2.0/stats/$target?type=docker has samples" \
    bash -c "curl -fsS --max-time 10 '$base/api/v2.0/stats/$target?type=docker&count=2' | jq -e 'to_entries[0].value.stats | length > 0' >/dev/null"
  say "     $(docker run --rm "$ref" -version 2>&1 | head -n 1)"
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-$name" 2>&1 | sed 's/^/    | /' >&2 || true
}

# Caddy as the fleet's authenticating TLS gateway: basic_auth with a bcrypt hash from `caddy
# hash-password`, TLS from a certificate signed by a CA made here with openssl, reverse_proxy to a
# backend container. 401 without or with wrong credentials, 200 with them; the handshake verifies
# against that CA only. The password is random per run and never printed or put on a command line.
prove_caddy() {
  local ref="$REG/testenv/caddy:v2.11.9" name=caddy fails="$FAIL" dir="$TMP/caddy" net="$PREFIX-caddy"
  have_image "$ref" || return 0
  have_image "$REG/testenv/busybox:1.35" || return 0
  say "== $ref"
  mkdir -p "$dir/www"
  say "     $(docker run --rm "$ref" caddy version 2>&1 | head -n 1)"
  check "$name caddy version is v2.11.9" bash -c "docker run --rm '$ref' caddy version | grep -q '^v2.11.9'"
  local shape; shape="$(docker image inspect -f '{{json .Config.Cmd}} {{json .Config.Entrypoint}} {{.Config.WorkingDir}} {{range .Config.Env}}{{.}} {{end}}' "$ref")"
  say "     image: $shape"
  check "$name image shaped like caddy:2.11.9-alpine (CMD, no ENTRYPOINT, WORKDIR /srv, XDG dirs)" \
    grep -qE '^\["caddy","run","--config","/etc/caddy/Caddyfile","--adapter","caddyfile"\] null /srv .*XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data' <<<"$shape"
  run caddy-default -p 127.0.0.1:29081:80 "$ref"
  check "$name default config serves /usr/share/caddy on :80" wait_http 30 http://127.0.0.1:29081/
  # A CA and a server certificate for gateway.test and 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=smoke gateway CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=gateway.test' \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:gateway.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$dir/ext.cnf"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/ext.cnf" -out "$dir/server.crt" 2>/dev/null
  local pw hash
  pw="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  hash="$(printf '%s\n' "$pw" | docker run --rm -i "$ref" caddy hash-password --algorithm bcrypt)"
  check "$name hash-password gives a bcrypt hash" grep -qE '^\$2[aby]\$' <<<"$hash"
  cat >"$dir/Caddyfile" <<EOF
{
	admin off
}
:8443 {
	tls /etc/caddy/gateway/server.crt /etc/caddy/gateway/server.key
	basic_auth {
		agent $hash
	}
	reverse_proxy backend:8080
}
EOF
  printf 'backend answered\n' >"$dir/www/push"
  chmod -R a+rX "$dir"; chmod 0644 "$dir/server.key"
  check "$name caddy validate accepts the gateway config" \
    bash -c "docker run --rm -v '$dir:/etc/caddy/gateway:ro' '$ref' caddy validate --config /etc/caddy/gateway/Caddyfile --adapter caddyfile >'$TMP/caddy-validate.log' 2>&1 || { cat '$TMP/caddy-validate.log' >&2; false; }"
  docker network rm "$net" >/dev/null 2>&1 || true
  docker network create "$net" >/dev/null; NETWORKS+=("$net")
  run caddy-backend --network "$net" --network-alias backend -v "$dir/www:/www:ro" "$REG/testenv/busybox:1.35" httpd -f -p 8080 -h /www
  run "$name" --network "$net" -p 127.0.0.1:29443:8443 -v "$dir:/etc/caddy/gateway:ro" "$ref" \
    caddy run --config /etc/caddy/gateway/Caddyfile --adapter caddyfile
  local url=https://gateway.test:29443/push tls=(--resolve gateway.test:29443:127.0.0.1 --cacert "$dir/ca.crt" --max-time 5)
  local i code=""
  for i in $(seq 1 60); do
    code="$(curl -s -o /dev/null -w '%{http_code}' "${tls[@]}" "$url" 2>/dev/null || true)"
    [ "$code" = 401 ] && break; sleep 0.25
  done
  check "$name without credentials: 401 (got $code)" [ "$code" = 401 ]
  check "$name asks for Basic auth" bash -c "curl -sS -o /dev/null -D - $(printf '%q ' "${tls[@]}") '$url' | grep -qi '^www-authenticate: basic'"
  code="$(printf 'user = "agent:wrong-%s"\n' "$pw" | curl -s -o /dev/null -w '%{http_code}' -K - "${tls[@]}" "$url" || true)"
  check "$name wrong password: 401 (got $code)" [ "$code" = 401 ]
  local body
  body="$(printf 'user = "agent:%s"\n' "$pw" | curl -sS -w ' %{http_code}' -K - "${tls[@]}" "$url" 2>&1 || true)"
  check "$name with credentials: 200 from the backend (got: $body)" [ "$body" = "backend answered
 200" ]
  local v; v="$(openssl s_client -connect 127.0.0.1:29443 -servername gateway.test -CAfile "$dir/ca.crt" -verify_return_error </dev/null 2>/dev/null | grep -E 'Verify return code|Protocol *:' | tr -s ' ' | tr '\n' ';')"
  say "     openssl s_client with our CA: $v"
  check "$name TLS handshake verifies against our CA" grep -q 'Verify return code: 0 (ok)' <<<"$v"
  check "$name TLS refused without our CA (system trust only)" \
    bash -c "! curl -s -o /dev/null --resolve gateway.test:29443:127.0.0.1 --max-time 5 '$url'"
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 http://127.0.0.1:29443/push || true)"
  check "$name plain HTTP on the TLS port is refused (got $code)" [ "$code" = 400 ]
  [ "$FAIL" = "$fails" ] || docker logs --tail 30 "$PREFIX-$name" 2>&1 | sed 's/^/    | /' >&2 || true
}

main() {
  docker info >/dev/null 2>&1 || { say "no Docker engine"; exit 1; }
  local want=("$@"); [ "${#want[@]}" -gt 0 ] || want=(prometheus-v3 prometheus-v2 upgrade alertmanager node-exporter cadvisor caddy)
  local w
  for w in "${want[@]}"; do
    case "$w" in
      prometheus-v3) prove_prometheus v3.14.0 29090 prometheus-v3 ;;
      prometheus-v2) prove_prometheus v2.55.1 29091 prometheus-v2 ;;
      upgrade) prove_upgrade ;;
      alertmanager) prove_alertmanager ;;
      node-exporter) prove_node_exporter ;;
      cadvisor) prove_cadvisor ;;
      caddy) prove_caddy ;;
      *) say "unknown: $w"; exit 2 ;;
    esac
  done
  echo "services-smoke: $PASS passed, $FAIL failed, $SKIP skipped"
  [ "$FAIL" = 0 ]
}
main "$@"
